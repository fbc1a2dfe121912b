// The supervision options (DESIGN.md §8): --restart, --restart-delay,
// --restart-delay-max, --restart-limit, --listen, --instances. Resolved with
// the others (src/options.ts), so bad input fails before anything is made.
// Without --restart on-failure|always, --listen or --instances > 1 there is
// no supervisor: the daemon is the app's own process, as always.
import { EXIT } from '../exit-codes';
import { invalidOption, TaskdaemonError } from '../errors';
import { parseDuration } from '../duration';
import { parseListens, type ListenSpec } from './listen-spec';

export type RestartPolicy = 'no' | 'on-failure' | 'always';
export const RESTART_POLICIES: readonly RestartPolicy[] = ['no', 'on-failure', 'always'];

export interface Supervision {
  restart: RestartPolicy;
  restartDelayMs: number;
  restartDelayMaxMs: number;
  /** systemd's StartLimitBurst= and StartLimitIntervalSec=; null: never give up. */
  restartLimit: { burst: number; intervalMs: number } | null;
  listen: ListenSpec[];
  instances: number;
}

/** What the flags, the file and the environment may set. */
export interface SupervisionInput {
  restart?: string;
  restartDelay?: number | string;
  restartDelayMax?: number | string;
  restartLimit?: string;
  listen?: string | string[];
  instances?: number | string;
}

export const DEFAULT_RESTART_DELAY_MS = 100;
export const DEFAULT_RESTART_DELAY_MAX_MS = 30_000;
export const DEFAULT_RESTART_LIMIT = { burst: 5, intervalMs: 10_000 };
/** An instance that stayed up this long ended "a while" after its start: the next restart delay starts over. */
export const STAYED_UP_MS = 10_000;
export const MAX_INSTANCES = 256;

const invalid = invalidOption;

export function parseRestart(v: string | undefined): RestartPolicy {
  if (v === undefined) return 'no';
  if ((RESTART_POLICIES as readonly string[]).includes(v)) return v as RestartPolicy;
  throw invalid('restart', v, 'expected no, on-failure or always');
}

// "5/10s": at most 5 restarts within 10 s; "off" (or 0): no limit.
export function parseRestartLimit(v: string | undefined): Supervision['restartLimit'] {
  if (v === undefined) return DEFAULT_RESTART_LIMIT;
  if (v === 'off' || v === '0') return null;
  const m = /^(\d+)\/(.+)$/.exec(v.trim());
  const hint = 'BURST/INTERVAL like 5/10s (systemd\'s StartLimitBurst=/StartLimitIntervalSec=), or off';
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 1_000_000) throw invalid('restart-limit', v, 'expected a number of restarts from 1, a slash and a duration', hint);
  try {
    return { burst: Number(m[1]), intervalMs: parseDuration(m[2]!, '--restart-limit') };
  } catch {
    throw invalid('restart-limit', v, `'${m[2]}' is not a duration`, hint);
  }
}

function parseInstances(v: number | string | undefined): number {
  if (v === undefined) return 1;
  const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_INSTANCES) throw invalid('instances', v, `expected an integer from 1 to ${MAX_INSTANCES}`);
  return n;
}

/** The supervision a start asks for, or null when it asks for none. `name` names unnamed sockets. */
export function resolveSupervision(o: SupervisionInput, name: string): Supervision | null {
  const restart = parseRestart(o.restart);
  const restartDelayMs = parseDuration(o.restartDelay ?? `${DEFAULT_RESTART_DELAY_MS}ms`, '--restart-delay');
  const restartDelayMaxMs = parseDuration(o.restartDelayMax ?? `${DEFAULT_RESTART_DELAY_MAX_MS}ms`, '--restart-delay-max');
  if (restartDelayMaxMs < restartDelayMs) {
    throw invalid('restart-delay-max', o.restartDelayMax ?? `${restartDelayMaxMs}ms`, `shorter than --restart-delay (${restartDelayMs} ms)`);
  }
  const restartLimit = parseRestartLimit(o.restartLimit);
  const listen = parseListens(o.listen === undefined ? [] : Array.isArray(o.listen) ? o.listen : [o.listen], name);
  const instances = parseInstances(o.instances);
  if (restart === 'no' && listen.length === 0 && instances === 1) return null;
  return { restart, restartDelayMs, restartDelayMaxMs, restartLimit, listen, instances };
}

/** `run` and a program that daemonizes itself have no supervisor: say so instead of ignoring the options. */
export function refuseSupervision(s: Supervision | null, where: string, hint: string): void {
  if (!s) return;
  throw new TaskdaemonError(`${where} does not supervise: --restart, --listen and --instances need \`taskdaemon start\``, {
    exitCode: EXIT.INVALID_ARGS,
    code: 'ERR_SUPERVISION_UNSUPPORTED',
    key: s.restart !== 'no' ? 'restart' : s.listen.length ? 'listen' : 'instances',
    hint,
  });
}
