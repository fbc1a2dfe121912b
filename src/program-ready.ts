// `start`'s wait for a program without the runtime (DESIGN.md §9). Its ready
// pipe is close-on-exec, so end of file on it means execve succeeded, and a
// setup step that failed before says so on it (STEP=, ERRNO=). Then:
//   exec           ready at once
//   notify         READY=1 on the notify socket (STATUS=/ERRNO= kept for the failure message)
//   tcp:/unix:     the address accepts a connection
// each racing the program's exit (its pidfd) and the deadline.
// See: man 2 pidfd_open, man 2 poll
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { check } from './errors';
import { native } from './native';
import { describeNotify, drainNotify, type NotifySocket, type NotifyState } from './notify-socket';
import type { Outcome, ReadinessReader } from './ready-reader';
import { notAccepting, waitForAddress } from './ready-address';
import type { ReadySpec } from './ready-spec';

const ESRCH = -os.constants.errno.ESRCH;
// A poll in libuv's pool outlives an abandoned wait by one slice at most.
const SLICE_MS = 250;

export interface ProgramWait {
  reader: ReadinessReader;
  pid: number;
  entry: string;
  ready: ReadySpec;
  notify: NotifySocket | null;
  timeoutMs: number;
  signal?: AbortSignal;
  /** True while the program still holds the pidfile's lock (so the pid is still ours). */
  holdsLock: () => boolean;
}

export interface ProgramOutcome {
  outcome: Outcome;
  /** What the program said before it failed (notify), for the error's hint. */
  note: string | null;
}

// Resolves with the poll's result, or 'aborted' the moment the signal fires.
function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T | 'aborted'> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve('aborted');
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export async function awaitProgramReady(w: ProgramWait): Promise<ProgramOutcome> {
  const deadline = Date.now() + w.timeoutMs;
  const first = await w.reader.outcome(w.timeoutMs, w.signal);
  // Anything but end of file: a setup step failed, or time ran out (or Ctrl-C) before execve.
  if (first.kind !== 'eof') return { outcome: first, note: null };
  const base = { pid: first.pid, records: first.records };
  const ready = w.ready;
  if (ready.kind === 'exec' || ready.kind === 'runtime') return { outcome: { kind: 'ready', ...base }, note: null };

  const n = native();
  const name = path.basename(w.entry);
  const ended = (why: string, note: string | null = null): ProgramOutcome => ({ outcome: { kind: 'error', ...base, error: new Map([['ERROR', `${name} exited ${why}`]]) }, note });
  const pidfd = n.pidfdOpen(w.pid);
  if (pidfd === ESRCH) return ended('right after execve, before it was ready');
  check(pidfd, 'pidfd_open');
  try {
    // The pid was ours when the pipe closed; a pidfd opened after a quick exit and reuse would not be.
    if (!w.holdsLock()) return ended('right after execve, before it was ready');
    if (ready.kind === 'notify') {
      const sock = w.notify!;
      const said: NotifyState = { ready: false, status: null, errno: null };
      for (;;) {
        const left = deadline - Date.now();
        const what = () => describeNotify(said) || null;
        if (left <= 0) return { outcome: { kind: 'timeout', ...base }, note: what() && `${name} did not send READY=1; ${what()}` };
        const r = await raceAbort(n.pollFds([pidfd, sock.fd], Math.min(left, SLICE_MS)), w.signal);
        if (r === 'aborted') return { outcome: { kind: 'interrupted', ...base }, note: null };
        const polled = check<boolean[]>(r, 'poll');
        // Datagrams first: READY=1 sent just before a quick exit still counts as sent.
        drainNotify(sock.fd, said);
        if (said.ready) return { outcome: { kind: 'ready', ...base }, note: null };
        if (polled[0]) {
          const message = describeNotify(said);
          return ended(`before it sent READY=1 to $NOTIFY_SOCKET${message ? `; ${message}` : ''}`);
        }
      }
    }
    const result = await waitForAddress(ready, {
      deadline,
      ...(w.signal && { signal: w.signal }),
      pause: async (ms) => check<boolean[]>(await n.pollFds([pidfd], ms), 'poll')[0]!,
    });
    if (result === 'ready') return { outcome: { kind: 'ready', ...base }, note: null };
    if (result === 'aborted') return { outcome: { kind: 'interrupted', ...base }, note: null };
    if (result === 'ended') return ended(`before it was ready: ${notAccepting(ready)}`);
    return { outcome: { kind: 'timeout', ...base }, note: notAccepting(ready) };
  } finally {
    fs.closeSync(pidfd);
  }
}
