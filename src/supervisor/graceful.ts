// `restart NAME --graceful` (DESIGN.md §8): the instances are replaced one at
// a time. A new one is started from the entry on disk (a deploy is: new
// files, then this), and only once it is ready does one old instance get
// SIGTERM and drain within --grace. The sockets never close, so the kernel's
// accept queue carries new connections across the switch. If a new instance
// fails to become ready, it goes, the old ones keep serving, and the error
// is the new one's.
import { formatDuration } from '../duration';
import type { Instance, Readiness } from './instance';
import { KILL_MARGIN_MS, type Supervisor } from './supervisor';

export interface Replacement {
  slot: number;
  old: number | null;
  new: number;
}

function readyWithin(inst: Instance, ms: number): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Readiness>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: `was not ready within ${formatDuration(ms)}` }), ms);
  });
  return Promise.race([inst.ready, late]).finally(() => clearTimeout(timer));
}

export async function replaceInstances(sup: Supervisor): Promise<{ replaced: Replacement[] }> {
  if (sup.phase === 'failed') throw new Error(`the supervisor gave up (${sup.gaveUp?.reason}); \`taskdaemon restart ${sup.options.name}\` starts it again`);
  if (sup.phase !== 'ready' && sup.phase !== 'reloading') throw new Error(`cannot replace the instances while ${sup.phase}`);
  if (sup.replacing) throw new Error('a graceful restart is already in progress');
  sup.replacing = true;
  const replaced: Replacement[] = [];
  const total = sup.slots.length;
  try {
    sup.log.info('replacing', `${total} instance(s), one at a time`);
    for (const slot of sup.slots) {
      if (sup.phase !== 'ready' && sup.phase !== 'reloading') throw new Error(`${sup.phase} after ${replaced.length} of ${total} instance(s) were replaced`);
      const old = slot.current;
      // A restart that was due anyway: the replacement is it.
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      slot.restartAt = null;
      let next: Instance;
      try {
        next = sup.spawn(slot, true);
      } catch (e) {
        throw new Error(`the new instance ${slot.index} could not be started: ${(e as Error).message}; the old instances keep serving`);
      }
      const r = await readyWithin(next, sup.options.readyTimeoutMs);
      if (!r.ok) {
        slot.next = null;
        void next.terminate(KILL_MARGIN_MS);
        sup.log.error('replace-failed', `instance ${slot.index}: the new one (pid ${next.pid}) ${r.error}; the old one(s) keep serving`);
        // The old one ended meanwhile, waiting for this replacement: its end is handled now.
        if (!slot.current && slot.lastEnd && (sup.phase === 'ready' || sup.phase === 'reloading')) sup.afterUnexpectedEnd(slot, slot.lastEnd, 0);
        const done = replaced.length ? ` (${replaced.length} of ${total} were replaced before it)` : '';
        throw new Error(`the new instance ${slot.index} (pid ${next.pid}) ${r.error}; the old instances keep serving${done}`);
      }
      slot.next = null;
      slot.current = next;
      slot.backoff.reset();
      if (old?.alive) {
        sup.log.info('instance-replaced', `instance ${slot.index}: pid ${next.pid} is ready; SIGTERM to pid ${old.pid}, which drains within ${formatDuration(sup.options.graceMs)}`);
        await old.terminate(sup.options.graceMs + KILL_MARGIN_MS);
      } else {
        sup.log.info('instance-replaced', `instance ${slot.index}: pid ${next.pid} is ready`);
      }
      replaced.push({ slot: slot.index, old: old?.pid ?? null, new: next.pid });
    }
    sup.log.info('replaced', replaced.map((r) => `instance ${r.slot}: pid ${r.old ?? '-'} -> ${r.new}`).join(', '));
    return { replaced };
  } finally {
    sup.replacing = false;
  }
}
