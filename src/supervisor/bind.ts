// The starter's side of --listen (DESIGN.md §8): every socket is bound here,
// as the caller (root, usually) and before the fork and the privilege drop,
// so a daemon running as nobody can still serve port 80. The fds go to the
// supervisor, which holds them for its whole life. A host name is resolved
// now, in the starter; native code only ever sees numeric addresses.
// See: man 3 getaddrinfo (through node:dns), native/control.cc
import * as fs from 'node:fs';
import { EXIT } from '../exit-codes';
import { check, TaskdaemonError, type SystemError } from '../errors';
import { native } from '../native';
import type { ListenSpec } from './listen-spec';

/** The kernel caps it at net.core.somaxconn: a deep queue carries connections across an instance switch. */
const BACKLOG = 4096;
/** systemd's SocketMode= default: whoever may reach the directory may connect. */
const UNIX_MODE = 0o666;

export interface BoundSockets {
  /** In --listen order: the fd (close-on-exec, the starter's number; the caller closes it) and its LISTEN_FDNAMES name. */
  fds: { fd: number; name: string }[];
  /** A failed start leaves nothing: the unix socket files this start made go again. */
  removeFiles(): void;
}

function numericOrAny(s: ListenSpec): string | null {
  if (s.host === '') return s.kind === 'tcp6' ? '::' : '0.0.0.0';
  const v4 = /^\d+\.\d+\.\d+\.\d+$/.test(s.host);
  if (s.kind === 'tcp' && v4) return s.host;
  if (s.kind === 'tcp6' && s.host.includes(':')) return s.host;
  return null;
}

// node:dns only for a host name: a numeric address never loads it.
async function resolveHost(s: ListenSpec): Promise<string> {
  const numeric = numericOrAny(s);
  if (numeric) return numeric;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dns = require('node:dns') as typeof import('node:dns');
    return (await dns.promises.lookup(s.host, { family: s.kind === 'tcp6' ? 6 : 4 })).address;
  } catch (e) {
    throw new TaskdaemonError(`cannot listen on ${s.text}: cannot resolve '${s.host}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
      exitCode: EXIT.NOT_CONFIGURED,
      code: 'ERR_LISTEN',
      key: 'listen',
    });
  }
}

function listenError(s: ListenSpec, e: SystemError): TaskdaemonError {
  const privileged = e.code === 'EACCES' && s.kind !== 'unix' && s.port < 1024;
  return new TaskdaemonError(`cannot listen on ${s.text}: ${e.message}`, {
    exitCode: e.code === 'EACCES' || e.code === 'EPERM' ? EXIT.NO_PRIVILEGE : EXIT.FAILURE,
    code: 'ERR_LISTEN',
    ...(privileged && { hint: 'a port below 1024 needs root: start as root and give --user; the socket is bound before the drop' }),
    ...(e.code === 'EADDRINUSE' && { hint: 'another process listens there (ss -ltnp shows which)' }),
    cause: e,
  });
}

export async function bindSockets(specs: ListenSpec[]): Promise<BoundSockets> {
  const n = native();
  const fds: BoundSockets['fds'] = [];
  const made: string[] = [];
  const close = (): void => {
    for (const { fd } of fds.splice(0)) fs.closeSync(fd);
  };
  const removeFiles = (): void => {
    for (const file of made.splice(0)) fs.rmSync(file, { force: true });
  };
  try {
    for (const s of specs) {
      let fd: number;
      try {
        if (s.kind === 'unix') {
          fd = check<number>(n.unixListen(s.path, BACKLOG, UNIX_MODE), 'bind', s.path);
          made.push(s.path);
        } else {
          const address = await resolveHost(s);
          fd = check<number>(n.tcpListen(s.kind === 'tcp6' ? 6 : 4, address, s.port, BACKLOG), 'bind');
        }
      } catch (e) {
        throw e instanceof TaskdaemonError ? e : listenError(s, e as SystemError);
      }
      fds.push({ fd, name: s.name });
    }
  } catch (e) {
    close();
    removeFiles();
    throw e;
  }
  return { fds, removeFiles };
}
