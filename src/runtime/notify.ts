// Service-manager notifications (sd_notify protocol) for `run` under systemd
// Type=notify: READY, RELOADING + MONOTONIC_USEC, STOPPING, STATUS, MAINPID,
// and WATCHDOG pings from the event loop. See: man 3 sd_notify
import { native } from '../native';
import type { Logger } from './logger';

export type NotifyFields = { [key: string]: string | number };

export interface Notifier {
  send(fields: NotifyFields): void;
  /** Stops the watchdog timer. */
  close(): void;
}

function format(fields: NotifyFields): string {
  // sd_notify values are single lines.
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${String(v).replace(/\n/g, ' ')}`)
    .join('\n');
}

// CLOCK_MONOTONIC in microseconds, as RELOADING=1 needs (libuv's hrtime is that clock).
export function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}

// Reads and removes NOTIFY_SOCKET and the watchdog variables, so the program's
// children do not talk to the service manager in our name.
export function notifierFromEnv(log: Logger, env: NodeJS.ProcessEnv = process.env): Notifier | null {
  const socket = env.NOTIFY_SOCKET;
  const wdUsec = Number(env.WATCHDOG_USEC);
  const wdPid = env.WATCHDOG_PID;
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (!socket) return null;
  const n = native();
  let warned = false;
  const send = (fields: NotifyFields): void => {
    const rc = n.sdNotify(socket, format(fields));
    if (rc < 0 && !warned) {
      warned = true; // once: a manager that went away must not flood the log
      log.warn('notify-failed', `sd_notify to ${socket}: errno ${-rc}`);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  // The watchdog is ours only if WATCHDOG_PID is absent or names this process.
  if (wdUsec > 0 && (!wdPid || Number(wdPid) === process.pid)) {
    const everyMs = Math.max(1, Math.floor(wdUsec / 2000));
    // A timer on the event loop: a blocked loop stops the pings, and systemd acts.
    timer = setInterval(() => send({ WATCHDOG: 1 }), everyMs);
    timer.unref();
    log.info('watchdog', `WATCHDOG=1 every ${everyMs} ms`);
  }
  return {
    send,
    close: () => clearInterval(timer),
  };
}
