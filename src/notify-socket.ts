// The socket `start --ready notify` gives a program as $NOTIFY_SOCKET: a unix
// datagram socket in a fresh private directory, as
// `start-stop-daemon --notify-await` makes one. The directory (0700) is the
// access control: only its owner (the daemon's user after a drop) and root
// can send to it. Removed once `start` is done; a program that still sends
// later (STATUS=, WATCHDOG=1) gets ENOENT, which sd_notify ignores.
// See: man 3 sd_notify, man 7 unix
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { check, errnoDescription, errnoName } from './errors';
import { native } from './native';

export interface NotifySocket {
  path: string;
  fd: number;
  close(): void;
}

/** Bind the socket; `owner` is whom the daemon runs as after the drop (null: as the caller). */
export function openNotifySocket(owner: { uid: number; gid: number } | null): NotifySocket {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskdaemon-notify-'));
  const file = path.join(dir, 'notify');
  let fd = -1;
  try {
    fd = check<number>(native().notifyBind(file), 'bind', file);
    if (owner && owner.uid >= 0) {
      fs.chownSync(dir, owner.uid, owner.gid >= 0 ? owner.gid : -1);
      fs.chownSync(file, owner.uid, owner.gid >= 0 ? owner.gid : -1);
    }
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  let open = true;
  return {
    path: file,
    fd,
    close() {
      if (!open) return;
      open = false;
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a program said so far (READY=1, STATUS=, ERRNO=), merged over every datagram read. */
export interface NotifyState {
  ready: boolean;
  status: string | null;
  errno: number | null;
}

/** Reads every queued datagram into `state`. */
export function drainNotify(fd: number, state: NotifyState): void {
  const n = native();
  for (;;) {
    const msg = n.notifyRecv(fd);
    if (msg === null) return;
    check(msg, 'recv');
    for (const line of (msg as string).split('\n')) {
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1);
      if (key === 'READY' && value === '1') state.ready = true;
      else if (key === 'STATUS') state.status = value;
      else if (key === 'ERRNO' && /^\d+$/.test(value)) state.errno = Number(value);
    }
  }
}

/**
 * Reads what a program sends to `fd` until READY=1 or until `alive()` turns
 * false, in bounded polls (an end is noticed within one); `onSaid` sees every
 * update. Resolves with what was said, ready or not.
 */
export async function awaitNotifyReady(fd: number, alive: () => boolean, onSaid?: (s: NotifyState) => void): Promise<NotifyState> {
  const said: NotifyState = { ready: false, status: null, errno: null };
  while (alive()) {
    const polled = await native().pollFds([fd], 250);
    if (typeof polled === 'number') break; // poll itself failed: waiting longer cannot help
    if (polled[0]) {
      drainNotify(fd, said);
      onSaid?.(said);
    }
    if (said.ready) break;
  }
  return said;
}

/** "STATUS: cannot bind; ERRNO=98 (EADDRINUSE: address already in use)", or '' when it said neither. */
export function describeNotify(s: NotifyState): string {
  const parts: string[] = [];
  if (s.status) parts.push(`its last STATUS: ${s.status}`);
  if (s.errno !== null) {
    // ERRNO=0 names no error (and errnoName takes only negative numbers).
    const name = s.errno > 0 ? `${errnoName(-s.errno)}: ${errnoDescription(-s.errno)}` : `errno ${s.errno}`;
    parts.push(`ERRNO=${s.errno} (${name})`);
  }
  return parts.join('; ');
}
