// taskdaemon status: LSB status codes from the pidfile's lock, and the
// daemon's own report over its control socket when it can be reached.
import type { DaemonStatus } from '../../control/client/stop-status';
import { inspectDaemon, type Inspection } from '../../control/client/inspect';
import { STATUS_EXIT } from '../../exit-codes';
import type { SupervisorReport } from '../../supervisor/report-types';
import { packageVersion } from '../../version';
import { color, err, json, out } from '../output';
import { targetPidfile, type TargetOptions } from '../shared';

export interface StatusFlags extends TargetOptions {
  json?: boolean;
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const parts = [[Math.floor(s / 86400), 'd'], [Math.floor((s % 86400) / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']] as const;
  const shown = parts.filter(([n]) => n > 0).slice(0, 2);
  return shown.length ? shown.map(([n, u]) => `${n}${u}`).join(' ') : '0s';
}

function runningDetail(s: Extract<DaemonStatus, { state: 'running' }>): string {
  if (s.namedPid === undefined) return ` (pid ${s.pid})`;
  const holder = s.pid ? `pid ${s.pid} holds the lock` : 'its lock is held';
  if (s.namedPid === null) return ` (starting: ${holder}, the pidfile names no pid yet)`;
  return ` (${holder}; the pidfile names pid ${s.namedPid}, which does not)`;
}

// A supervised daemon (DESIGN.md §8): the supervisor's own memory, then one line per instance.
function supervisorLines(sv: SupervisorReport): string[] {
  const mb = (b: number): string => (b / 1048576).toFixed(1);
  const lines = [`  supervisor: --restart ${sv.restart}, ${sv.instances.length} instance(s)${sv.listen.length ? `, sockets ${sv.listen.map((l) => `${l.name}=${l.spec}`).join(' ')}` : ''}; its own rss ${mb(sv.memory.rssBytes)} MB, private ${mb(sv.memory.privateBytes)} MB`];
  for (const i of sv.instances) {
    const up = i.uptimeMs !== null ? `, up ${duration(i.uptimeMs)}` : '';
    const next = i.restartInMs !== null ? `, restart in ${duration(i.restartInMs)}` : '';
    const last = i.lastEnd ? `; last end: pid ${i.lastEnd.pid} ${i.lastEnd.how} at ${i.lastEnd.at}` : '';
    const repl = i.replacement ? `; replacement pid ${i.replacement.pid} ${i.replacement.state}` : '';
    lines.push(`  instance ${i.slot}: ${i.pid !== null ? `pid ${i.pid} ` : ''}${i.state}${up}, restarts ${i.restarts}${next}${last}${repl}`);
  }
  return lines;
}

export async function statusCommand(nameArg: string | undefined, f: StatusFlags): Promise<number> {
  const { name, pidfile } = targetPidfile(nameArg, f);
  let s: Inspection;
  try {
    s = await inspectDaemon(pidfile);
  } catch (e) {
    // LSB: a status that cannot be determined is 4, whatever the reason.
    err(`taskdaemon: cannot tell whether ${name} runs: ${e instanceof Error ? e.message : String(e)}`);
    return STATUS_EXIT.UNKNOWN;
  }
  const { report, controlError, stopped, gaveUp, ...facts } = s;
  const mismatch = report && report.version !== packageVersion();
  if (f.json) {
    json({ name, ...facts, ...(stopped && { stopped: true }), ...(gaveUp && { gaveUp }), cliVersion: packageVersion(), ...(report && { daemon: report }), ...(controlError && { controlError }) });
  } else if (s.state === 'running') {
    out(`${name} is ${color(1, 32, 'running')}${runningDetail(s)}`);
    if (stopped) out(`  but stopped by a signal (SIGSTOP or SIGTSTP): it runs no code until it gets SIGCONT`);
    if (report) {
      const last = report.lastReload ? `, last ${report.lastReload.ok ? 'applied' : `rejected: ${report.lastReload.error}`}` : '';
      out(`  phase ${report.phase}, up ${duration(report.uptimeMs)}, ${report.inFlight} in flight, health ${report.health.ok ? 'ok' : color(1, 31, 'failing')}`);
      out(`  reloads ${report.reloadCount} (generation ${report.generation}${last})`);
      out(`  rss ${(report.memory.rssBytes / 1048576).toFixed(1)} MB, node ${report.node}, taskdaemon ${report.version}`);
      if (report.log?.bytes) out(`  log: ${report.log.bytes} bytes in ${report.log.writes} writes could not be written (${report.log.lastError})`);
      if (report.supervisor) for (const line of supervisorLines(report.supervisor)) out(line);
    }
  } else if (s.state === 'dead' && gaveUp) {
    out(`${name} is ${color(1, 31, 'dead')}: its supervisor (pid ${s.pid}) gave up: ${gaveUp}`);
    out(`  it holds ${pidfile} and answers status until it is stopped; \`taskdaemon restart ${name}\` starts it again`);
  } else if (s.state === 'dead') {
    out(`${name} is ${color(1, 31, 'dead')} but its pidfile exists (${pidfile} names pid ${s.pid})`);
  } else {
    out(`${name} is not running`);
  }
  if (controlError && !f.json) err(`taskdaemon: warning: no report from ${name}: ${controlError}`);
  if (mismatch) err(`taskdaemon: warning: ${name} runs taskdaemon ${report!.version}, this CLI is ${packageVersion()}; restart it to upgrade`);
  return s.state === 'running' ? STATUS_EXIT.RUNNING : s.state === 'dead' ? STATUS_EXIT.DEAD_WITH_PIDFILE : STATUS_EXIT.NOT_RUNNING;
}
