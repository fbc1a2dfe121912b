// Renders a socket unit for a daemon's Type=notify service from the shipped
// systemd/taskdaemon-notify@.socket: NAME.socket starts NAME.service on the
// first connection and hands it the listening socket (fd 3, named "http").
// Only the description and the addresses change. See systemd.socket(5).
import { EXIT } from '../exit-codes';
import { TaskdaemonError } from '../errors';
import { readShipped } from './shipped';
import { noSpecifiers } from './unit-escape';

// The ListenStream= forms a daemon is given as one socket: a port, IPv4:port,
// [IPv6]:port, a file system socket, an abstract one.
function validListen(address: string): boolean {
  if (/^[/@]\S+$/.test(address)) return true;
  const m = /^(?:\d{1,3}(?:\.\d{1,3}){3}:|\[[0-9A-Fa-f:.]+\]:)?(\d{1,5})$/.exec(address);
  return m !== null && Number(m[1]) >= 1 && Number(m[1]) <= 65535;
}

function checkListen(address: string): string {
  if (!validListen(address)) {
    throw new TaskdaemonError(`invalid --listen '${address}': expected PORT, IPV4:PORT, [IPV6]:PORT, /PATH or @ABSTRACT`, {
      exitCode: EXIT.INVALID_ARGS,
      code: 'ERR_INVALID_ARG_VALUE',
      key: 'listen',
    });
  }
  return noSpecifiers(address);
}

export function renderSocketUnit(name: string, listen: string[]): string {
  const addresses = listen.map(checkListen);
  const unit = readShipped('systemd/taskdaemon-notify@.socket');
  unit.replaceLeadingComment([
    `# ${name} (taskdaemon): rendered by \`taskdaemon install socket\` from the shipped`,
    `# systemd/taskdaemon-notify@.socket; install it as ${name}.socket beside ${name}.service`,
    '# (`taskdaemon install systemd --type notify`): the first connection starts the service.',
  ]);
  unit.replace(/^Description=/, [unit.line(/^Description=/).replace('%i', name)]);
  // Without --listen: the shipped address.
  if (addresses.length) unit.replace(/^ListenStream=/, addresses.map((a) => `ListenStream=${a}`));
  unit.refuseLeft(/^[^#].*(?<!%)(%%)*%i/, 'a line that names the template instance (%i)');
  return unit.text();
}
