// taskdaemon status: LSB status codes from the pidfile's lock, and the
// daemon's own report over its control socket when it can be reached.
import { controlSocketPath, rpcCall } from '../../control/rpc-client';
import { daemonStatus, type DaemonStatus } from '../../control/stop-status';
import { STATUS_EXIT } from '../../exit-codes';
import type { StatusReport } from '../../runtime/status-report';
import { packageVersion } from '../../version';
import { color, err, json, out } from '../output';
import { targetPidfile, type TargetOptions } from '../shared';

export interface StatusFlags extends TargetOptions {
  json?: boolean;
}

type Report = StatusReport & { name: string; version: string; mode: string };

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const parts = [[Math.floor(s / 86400), 'd'], [Math.floor((s % 86400) / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']] as const;
  const shown = parts.filter(([n]) => n > 0).slice(0, 2);
  return shown.length ? shown.map(([n, u]) => `${n}${u}`).join(' ') : '0s';
}

export async function statusCommand(nameArg: string | undefined, f: StatusFlags): Promise<number> {
  const { name, pidfile } = targetPidfile(nameArg, f);
  let s: DaemonStatus;
  try {
    s = daemonStatus(pidfile);
  } catch (e) {
    // LSB: a status that cannot be determined is 4, whatever the reason.
    err(`taskdaemon: cannot tell whether ${name} runs: ${e instanceof Error ? e.message : String(e)}`);
    return STATUS_EXIT.UNKNOWN;
  }
  let report: Report | null = null;
  if (s.state === 'running') {
    // The pidfile's lock decides; the socket only adds detail (it may be root's, or absent under `run --no-pidfile`).
    report = await rpcCall<Report>(controlSocketPath(pidfile), 'status', {}, 3_000).catch(() => null);
  }
  const mismatch = report && report.version !== packageVersion();
  if (f.json) {
    json({ name, ...s, cliVersion: packageVersion(), ...(report && { daemon: report }) });
  } else if (s.state === 'running') {
    out(`${name} is ${color(1, 32, 'running')}${s.pid ? ` (pid ${s.pid})` : ' (starting)'}`);
    if (report) {
      const last = report.lastReload ? `, last ${report.lastReload.ok ? 'applied' : `rejected: ${report.lastReload.error}`}` : '';
      out(`  phase ${report.phase}, up ${duration(report.uptimeMs)}, ${report.inFlight} in flight, health ${report.health.ok ? 'ok' : color(1, 31, 'failing')}`);
      out(`  reloads ${report.reloadCount} (generation ${report.generation}${last})`);
      out(`  rss ${(report.memory.rssBytes / 1048576).toFixed(1)} MB, node ${report.node}, taskdaemon ${report.version}`);
      if (report.log?.bytes) out(`  log: ${report.log.bytes} bytes in ${report.log.writes} writes could not be written (${report.log.lastError})`);
    }
  } else if (s.state === 'dead') {
    out(`${name} is ${color(1, 31, 'dead')} but its pidfile exists (${pidfile} names pid ${s.pid})`);
  } else {
    out(`${name} is not running`);
  }
  if (mismatch) err(`taskdaemon: warning: ${name} runs taskdaemon ${report!.version}, this CLI is ${packageVersion()}; restart it to upgrade`);
  return s.state === 'running' ? STATUS_EXIT.RUNNING : s.state === 'dead' ? STATUS_EXIT.DEAD_WITH_PIDFILE : STATUS_EXIT.NOT_RUNNING;
}
