// `--ready tcp:HOST:PORT` and `unix:PATH`: ready once the address accepts a
// connection. Polled with a short, growing pause until a deadline; the pause
// is the caller's, so `start` can wait on the program's exit at the same time
// (a program that died will never listen) and the runtime just sleeps.
// node:net is loaded on the first attempt only.
import type * as Net from 'node:net';
import { describeAddress, type AddressSpec } from './ready-spec';

export type AddressWait = 'ready' | 'timeout' | 'aborted' | 'ended';

/** True once a connection to the address was accepted (and closed again). */
export function addressAccepts(a: AddressSpec, timeoutMs: number): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const net = require('node:net') as typeof Net;
  return new Promise((resolve) => {
    // Node names an abstract unix socket with a leading NUL.
    const sock = a.kind === 'tcp' ? net.createConnection({ host: a.host, port: a.port }) : net.createConnection({ path: a.path.startsWith('@') ? `\0${a.path.slice(1)}` : a.path });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false)); // refused, no such file, unreachable: not yet
  });
}

export interface AddressWaitOptions {
  /** Epoch ms to give up at. */
  deadline: number;
  signal?: AbortSignal;
  /** Waits up to `ms` between attempts; resolves true when waiting is pointless (the program ended). */
  pause: (ms: number) => Promise<boolean>;
}

export async function waitForAddress(a: AddressSpec, o: AddressWaitOptions): Promise<AddressWait> {
  let pauseMs = 10;
  for (;;) {
    if (o.signal?.aborted) return 'aborted';
    const left = o.deadline - Date.now();
    if (left <= 0) return 'timeout';
    if (await addressAccepts(a, Math.min(left, 1_000))) return 'ready';
    if (o.signal?.aborted) return 'aborted';
    if (await o.pause(Math.max(1, Math.min(pauseMs, o.deadline - Date.now())))) return 'ended';
    pauseMs = Math.min(pauseMs * 2, 100);
  }
}

/** "did not accept connections on 127.0.0.1:8080" and friends. */
export function notAccepting(a: AddressSpec): string {
  return `${a.kind === 'tcp' ? 'TCP' : 'unix socket'} ${describeAddress(a)} did not accept a connection`;
}
