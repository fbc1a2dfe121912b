// `reload NAME` of a supervised daemon: SIGHUP to every instance that is
// ready, then each one's result from its readiness pipe (RELOADED=N, with
// RELOAD_ERROR= when its reload hook or loadConfig rejected it). The reload
// counts as applied only if every instance applied it; otherwise it fails
// with each rejection. Instances that applied it keep the new config (there
// is no rollback: a reload hook has no undo); those that rejected it keep the
// old one. An instance still starting reads the config as it is anyway.
import type { Supervisor } from './supervisor';

export async function reloadInstances(sup: Supervisor): Promise<void> {
  if (sup.phase === 'failed') throw new Error(`no instance runs: the supervisor gave up (${sup.gaveUp?.reason ?? 'restart limit'})`);
  const targets = sup.instances.filter((i) => i.state === 'ready' || i.state === 'reloading');
  const results = await Promise.all(targets.map(async (i) => ({ i, r: await i.reload(sup.options.readyTimeoutMs) })));
  const rejected = results.filter(({ r }) => !r.ok);
  if (!rejected.length) return;
  const each = rejected.map(({ i, r }) => `instance ${i.slot} (pid ${i.pid}): ${r.error}`).join('; ');
  throw new Error(targets.length === 1 ? each : `${rejected.length} of ${targets.length} instances rejected it: ${each}`);
}
