// Durations as users write them ("30", "2.5", "500ms", "1m") and as messages
// show them. Every duration ends up in a timer (setTimeout, poll(2)), which
// holds at most 2^31-1 ms (24.8 days): a larger value is refused at parse time,
// where the error can name the option, instead of firing after 1 ms.
import { EXIT } from './exit-codes';
import { TaskdaemonError } from './errors';

/** The longest delay setTimeout and poll(2) accept. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

function invalid(value: unknown, what: string, why: string): TaskdaemonError {
  return new TaskdaemonError(`invalid ${what} '${String(value)}': ${why}`, {
    exitCode: EXIT.INVALID_ARGS,
    code: 'ERR_INVALID_ARG_VALUE',
    key: what.replace(/^--/, ''),
    hint: 'for example 30, 2.5, 500ms or 1m (at most 24 days)',
  });
}

// "30", "2.5", "500ms", "2s", "1m" -> milliseconds, from 1 ms to MAX_DURATION_MS.
export function parseDuration(value: number | string, what: string): number {
  const m = typeof value === 'number' ? [String(value), String(value), 's'] : /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || !Number.isFinite(n) || n <= 0) throw invalid(value, what, 'expected a positive number of seconds');
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000;
  if (ms < 1) throw invalid(value, what, 'shorter than the 1 ms a timer can measure');
  if (ms > MAX_DURATION_MS) throw invalid(value, what, `longer than a timer can hold (${formatDuration(MAX_DURATION_MS)})`);
  return Math.round(ms);
}

// 1 -> "1ms", 2500 -> "2.5s", 90000 -> "1m 30s": never "0s" for a non-zero duration.
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  const s = Math.round(ms / 1000);
  const parts: [number, string][] = [[Math.floor(s / 86400), 'd'], [Math.floor((s % 86400) / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']];
  return parts.filter(([n]) => n > 0).map(([n, u]) => `${n}${u}`).join(' ');
}
