// start-stop-daemon's --retry schedules (man 8 start-stop-daemon, --retry):
// "TERM/30/KILL/5" sends TERM, waits up to 30 s, sends KILL, waits up to 5 s;
// a bare number N means TERM/N/KILL/N; "forever" repeats the rest.
import * as os from 'node:os';
import { invalidOption, TaskdaemonError } from './errors';
import { MAX_DURATION_MS } from './duration';

export type RetryStep = { signal: NodeJS.Signals; number: number } | { waitMs: number } | { forever: true };

function invalid(spec: string, why: string): TaskdaemonError {
  return invalidOption('retry', spec, why, 'for example --retry TERM/30/KILL/5, or --retry 10');
}

function signalStep(item: string, spec: string): RetryStep {
  const bare = item.replace(/^-/, '');
  if (/^\d+$/.test(bare)) {
    const entry = Object.entries(os.constants.signals).find(([, n]) => n === Number(bare));
    if (!entry) throw invalid(spec, `no signal number ${bare}`);
    return { signal: entry[0] as NodeJS.Signals, number: entry[1] };
  }
  const name = (bare.startsWith('SIG') ? bare : `SIG${bare}`).toUpperCase() as NodeJS.Signals;
  const number = os.constants.signals[name];
  if (number === undefined) throw invalid(spec, `unknown signal '${item}'`);
  return { signal: name, number };
}

// Seconds -> milliseconds that poll(2) can wait (at least 1 ms, at most 2^31-1).
function waitStep(seconds: string, spec: string): { waitMs: number } {
  const ms = Math.round(Number(seconds) * 1000);
  if (ms < 1 && Number(seconds) !== 0) throw invalid(spec, `timeout '${seconds}' is shorter than 1 ms`);
  if (ms > MAX_DURATION_MS) throw invalid(spec, `timeout '${seconds}' is longer than a timer can hold (24 days)`);
  return { waitMs: ms };
}

export function parseRetry(spec: string): RetryStep[] {
  const s = spec.trim();
  if (/^\d+(\.\d+)?$/.test(s)) {
    const { waitMs: ms } = waitStep(s, spec);
    return [signalStep('TERM', s), { waitMs: ms }, signalStep('KILL', s), { waitMs: ms }];
  }
  const items = s.split('/');
  if (items.length < 2) throw invalid(spec, 'a schedule has at least a signal and a timeout');
  const steps: RetryStep[] = [];
  items.forEach((item, i) => {
    if (item === 'forever') {
      if (i !== items.length - 1) throw invalid(spec, "'forever' must come last");
      steps.push({ forever: true });
    } else if (/^\d+(\.\d+)?$/.test(item)) {
      steps.push(waitStep(item, spec));
    } else if (item) {
      steps.push(signalStep(item, spec));
    } else {
      throw invalid(spec, 'empty item');
    }
  });
  if (!steps.some((x) => 'signal' in x)) throw invalid(spec, 'no signal in the schedule');
  if (steps.some((x) => 'forever' in x) && !steps.some((x) => 'waitMs' in x)) throw invalid(spec, "'forever' needs a timeout to repeat");
  return steps;
}

// The schedule `stop --timeout S` means: TERM, wait S, KILL, wait 5 s.
export function timeoutSchedule(timeoutMs: number): RetryStep[] {
  return [signalStep('TERM', 'TERM'), { waitMs: timeoutMs }, signalStep('KILL', 'KILL'), { waitMs: 5_000 }];
}
