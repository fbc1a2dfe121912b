// Finds or installs what the bench compares against: pm2 and the `daemon`
// package from the npm registry into bench/.peers (gitignored), start-stop-
// daemon and python3 (the launcher) from Debian's packages. Nothing is vendored.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// Pinned, so two runs of the bench compare the same peers.
export const NPM_PEERS = { pm2: '7.0.4', daemon: '1.1.0' };

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function installedVersion(dir, name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function runOrThrow(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${what} failed (${cmd} ${args.join(' ')}):\n${r.stdout}${r.stderr}`);
}

function aptInstall(pkgs, log) {
  log(`installing ${pkgs.join(' ')} from Debian's packages`);
  runOrThrow('apt-get', ['update', '-qq'], 'apt-get update');
  runOrThrow('apt-get', ['install', '-y', '-qq', ...pkgs], 'apt-get install');
}

/** npm peers into `dir`; the caller's environment as is (NODE_EXTRA_CA_CERTS may be what lets npm reach the registry). */
function npmPeers(dir, log) {
  const missing = Object.entries(NPM_PEERS).filter(([name, v]) => installedVersion(dir, name) !== v);
  if (missing.length) {
    const specs = missing.map(([name, v]) => `${name}@${v}`);
    log(`installing ${specs.join(' ')} into ${path.relative(process.cwd(), dir) || dir}`);
    fs.mkdirSync(dir, { recursive: true });
    runOrThrow('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', ...specs], 'npm install of the peers');
  }
  return {
    pm2: path.join(dir, 'node_modules', 'pm2', 'bin', 'pm2'),
    pm2Version: installedVersion(dir, 'pm2'),
    daemonPkg: path.join(dir, 'node_modules', 'daemon'),
    daemonVersion: installedVersion(dir, 'daemon'),
  };
}

/** Everything the bench runs besides taskdaemon; installs what is missing. */
export function ensurePeers(dir, log) {
  const apt = [];
  if (!which('start-stop-daemon')) apt.push('dpkg');
  // The launcher; /usr/bin/python3 starts without a version manager's shim in front.
  if (!fs.existsSync('/usr/bin/python3') && !which('python3')) apt.push('python3');
  if (apt.length) aptInstall(apt, log);
  const ssd = which('start-stop-daemon');
  const ssdVersion = ssd ? spawnSync(ssd, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] : null;
  const ssdNotify = ssd ? spawnSync(ssd, ['--help'], { encoding: 'utf8' }).stdout.includes('--notify-await') : false;
  return {
    python: fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : which('python3'),
    ssd: ssdNotify ? ssd : null,
    ssdVersion: ssdNotify ? ssdVersion : `${ssdVersion ?? 'start-stop-daemon'}: no --notify-await, skipped`,
    ...npmPeers(dir, log),
  };
}
