// The daemon's control socket, next to its pidfile (DESIGN.md §4): made by the
// caller (`start`, `run`) before the privilege drop, so a daemon that runs
// unprivileged still owns a root-made 0600 socket. See: man 2 listen
import { check } from '../errors';
import { native } from '../native';
import { controlSocketPath } from '../paths';

// listen(2)'s queue: node:net's connect(2) on a unix socket is non-blocking and
// fails at once with EAGAIN when the queue is full, so a burst of clients
// while the daemon is busy (or not yet accepting, just past READY=1) must fit.
// 511 is node:net's own default; the kernel caps it at net.core.somaxconn.
const BACKLOG = 511;

/** The listening socket's fd (O_CLOEXEC, mode 0600). */
export function listenControlSocket(pidfile: string): number {
  const file = controlSocketPath(pidfile);
  return check<number>(native().unixListen(file, BACKLOG), 'bind', file);
}
