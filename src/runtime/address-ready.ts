// `--ready tcp:HOST:PORT` or `unix:PATH` for a Node entry: its own readiness
// (init finished, or it called ready()) is not enough, the address must also
// accept a connection (ready-address.ts polls it). Then `start`, sd_notify
// under `run`, /ready and `status` all see "ready" at the same moment.
import { notAccepting, waitForAddress } from '../ready-address';
import type { AddressSpec } from '../ready-spec';

const sleep = (ms: number): Promise<boolean> => new Promise((resolve) => setTimeout(() => resolve(false), ms));

/** Resolves once the address accepts; rejects when the deadline passes or `signal` aborts. */
export async function awaitAddress(a: AddressSpec, o: { deadline: number; signal: AbortSignal }): Promise<void> {
  const r = await waitForAddress(a, { deadline: o.deadline, signal: o.signal, pause: sleep });
  if (r === 'ready') return;
  throw new Error(r === 'aborted' ? 'stopped while waiting for its address' : `${notAccepting(a)} before the ready timeout`);
}
