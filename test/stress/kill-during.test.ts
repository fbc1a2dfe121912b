// Failure-mode suite, item 2: kill -9 of the caller (the CLI running start,
// reload or stop), of start's intermediate child, or of the daemon, at a
// random moment of start, reload and stop. Afterwards `status` tells the
// truth, every process left holds the pidfile (no orphan), and the next
// `start` succeeds.
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APP, writeConfig } from '../helpers/app';
import { FIXTURES, td, tdRunning, type CliResult } from '../helpers/cli';
import { daemonOf, kill9, killIntermediate } from '../helpers/kill-moment';
import { alive, pidsWith, waitFor } from '../helpers/proc';
import { rng } from '../helpers/rng';
import { sandbox, type Sandbox } from '../helpers/sandbox';
import { count, figure, FULL } from '../helpers/stress';
import { contractBreach } from '../helpers/verdict';

const PROBE = path.join(FIXTURES, 'probe.js');
const TRIALS = count(3, 210);
const random = rng();

type Phase = 'start' | 'reload' | 'stop';
type Target = 'caller' | 'intermediate' | 'daemon';
const KINDS: [Phase, Target][] = [
  ['start', 'caller'],
  ['start', 'intermediate'],
  ['start', 'daemon'],
  ['reload', 'caller'],
  ['reload', 'daemon'],
  ['stop', 'caller'],
  ['stop', 'daemon'],
];
// Quick mode covers each target once; full mode draws kinds at random.
const QUICK_KINDS: [Phase, Target][] = [['start', 'intermediate'], ['reload', 'daemon'], ['stop', 'caller']];

let sb: Sandbox | undefined;
afterAll(async () => {
  await sb?.cleanup();
});

// The phase under trial has a slow step (init, reload hook, shutdown hook), so a
// random moment can fall inside it.
function startArgs(s: Sandbox, phase: Phase | 'next'): string[] {
  if (phase === 'reload') return ['start', APP, ...s.flags, '--', s.tag, `--config=${writeConfig(s, { reloadDelayMs: 400 })}`];
  const slow = phase === 'start' ? ['--init-delay=300'] : phase === 'stop' ? ['--shutdown-delay=300'] : [];
  return ['start', PROBE, ...s.flags, '--', s.tag, ...slow];
}

interface Trial {
  phase: Phase;
  target: Target;
  landed: boolean;
  problems: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function runTrial(s: Sandbox, phase: Phase, target: Target): Promise<Trial> {
  const problems: string[] = [];
  // Reload trials need a daemon with a reload hook; the others use the probe.
  const daemonArgs = startArgs(s, phase);
  if (phase !== 'start') {
    const up = await td(daemonArgs, { timeoutMs: 60_000 });
    if (up.code !== 0) return { phase, target, landed: false, problems: [`setup start exit ${up.code}: ${up.stderr}`] };
  }
  const logBefore = s.readLog().length;
  const op = phase === 'start' ? daemonArgs : phase === 'reload' ? ['reload', '--pidfile', s.pidfile] : ['stop', '--pidfile', s.pidfile];
  const run = tdRunning(op, { timeoutMs: 60_000 });
  let landed = false;
  let caller: CliResult | null = null;
  void run.done.then((r) => (caller = r), () => {});
  if (target === 'caller') {
    await sleep(random.int(0, phase === 'start' ? 1500 : 1000));
    landed = kill9(run.pid);
  } else if (target === 'intermediate') {
    await sleep(random.int(0, 300)); // the starter boots for longer than this
    landed = killIntermediate(run.pid, random.int(0, 400), 20_000);
  } else {
    // The daemon: from the moment it exists (start) or at once (reload, stop), a random delay more.
    let pid: number | null = null;
    if (phase === 'start') {
      await waitFor(() => (pid = daemonOf(s.tag, run.pid)) !== null || caller !== null, 20_000, 'the daemon to be forked');
    } else {
      pid = s.readPid();
    }
    await sleep(random.int(0, 900));
    landed = pid !== null && kill9(pid);
    // A killed process lets go of its files (and the lock) before it is reaped: wait for the end.
    if (landed) await waitFor(() => !alive(pid!), 10_000, 'the killed daemon to be gone');
  }
  let result: CliResult;
  try {
    result = await run.done;
  } catch (e) {
    return { phase, target, landed, problems: [`${phase} hung: ${(e as Error).message}`] };
  }
  if (!(target === 'caller' && result.signal === 'SIGKILL')) {
    const breach = contractBreach(result);
    if (breach) problems.push(`${phase}: ${breach}: ${result.stderr.slice(0, 400)}`);
  }
  // A stop that began before the kill may still be draining: let it finish first.
  if (/stopping SIG/.test(s.readLog().slice(logBefore))) {
    await waitFor(() => pidsWith(s.tag).length === 0, 15_000, 'the stopping daemon to exit').catch(() => problems.push('a stopping daemon did not exit'));
  }
  // A daemon whose starter died finishes its start on its own.
  const left = pidsWith(s.tag);
  if (left.length === 1) await waitFor(() => s.readPid() === left[0] || !alive(left[0]!), 10_000, 'the pidfile to name the daemon').catch(() => {});
  problems.push(...(await checkTruth(s)));
  return { phase, target, landed, problems };
}

// status agrees with /proc; every tagged process is the lock holder; stop and
// the next start succeed.
async function checkTruth(s: Sandbox): Promise<string[]> {
  const problems: string[] = [];
  const live = pidsWith(s.tag);
  const st = await td(['status', '--pidfile', s.pidfile, '--json'], { timeoutMs: 30_000 });
  const breach = contractBreach(st);
  if (breach) problems.push(`status: ${breach}`);
  const said = st.stdout ? (JSON.parse(st.stdout) as { state: string; pid: number | null }) : null;
  if (live.length > 1) problems.push(`${live.length} processes left: ${live.join(', ')} (orphans)`);
  if (live.length === 1) {
    if (st.code !== 0 || said?.pid !== live[0]) problems.push(`daemon ${live[0]} runs, status said exit ${st.code} ${st.stdout.trim()}`);
    const stop = await td(['stop', '--pidfile', s.pidfile], { timeoutMs: 60_000 });
    if (stop.code !== 0) problems.push(`stop of the survivor: exit ${stop.code} ${stop.stderr.trim()}`);
  } else if (live.length === 0) {
    if (st.code === 0) problems.push(`nothing runs, status said ${st.stdout.trim()}`);
    else if (st.code === 1 && said?.pid && alive(said.pid)) problems.push(`status 1 names live pid ${said.pid}`);
    else if (st.code !== 1 && st.code !== 3) problems.push(`nothing runs, status exit ${st.code}`);
  }
  const next = await td(startArgs(s, 'next'), { timeoutMs: 60_000 });
  if (next.code !== 0) problems.push(`the next start: exit ${next.code} ${next.stderr.trim()}`);
  const stop = await td(['stop', '--pidfile', s.pidfile], { timeoutMs: 60_000 });
  if (stop.code !== 0) problems.push(`stop after the next start: exit ${stop.code} ${stop.stderr.trim()}`);
  try {
    await waitFor(() => pidsWith(s.tag).length === 0, 10_000, 'no process left');
  } catch {
    problems.push(`left running: ${pidsWith(s.tag).join(', ')}`);
  }
  return problems;
}

describe('kill -9 at random moments of start, reload and stop', () => {
  it(`${TRIALS} trials: status right afterwards, no orphan, the next start succeeds`, { timeout: count(180_000, 4 * 3_600_000) }, async () => {
    const trials: Trial[] = [];
    for (let n = 0; n < TRIALS; n++) {
      const [phase, target] = FULL ? random.pick(KINDS) : QUICK_KINDS[n % QUICK_KINDS.length]!;
      sb = sandbox('kill');
      const t = await runTrial(sb, phase, target);
      trials.push(t);
      if (t.problems.length) process.stderr.write(`kill trial ${n} ${phase}/${target}: ${t.problems.join('; ')}\n`);
      await sb.cleanup();
      sb = undefined;
    }
    const by = (p: Phase, t: Target): string => {
      const set = trials.filter((x) => x.phase === p && x.target === t);
      return `${p}/${t} ${set.filter((x) => x.problems.length === 0).length}/${set.length} (${set.filter((x) => x.landed).length} kills landed)`;
    };
    const failed = trials.filter((t) => t.problems.length);
    figure({
      item: '2 kill -9 during start, reload, stop',
      tried: `kill -9 of the caller, the intermediate child or the daemon at a random moment (seed ${random.seed})`,
      times: trials.length,
      held: `status right, no orphan, next start ok in ${trials.length - failed.length}/${trials.length}: ` + KINDS.map(([p, t]) => by(p, t)).join('; '),
    });
    expect(failed.map((t) => `${t.phase}/${t.target}: ${t.problems.join('; ')}`)).toEqual([]);
  });
});
