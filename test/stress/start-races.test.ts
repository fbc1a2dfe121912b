// Failure-mode suite, item 1: many concurrent `start` of one name. Exactly one
// daemon per round; the others exit 1 "already running" (0 with --oknodo, and
// only once the daemon is ready); the pidfile never reads stale or empty while
// the winner runs.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as Pidfile from '../../src/pidfile';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, td, type CliResult } from '../helpers/cli';
import { alive, flockFree, pidsWith, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';
import { count, figure } from '../helpers/stress';
import { contractBreach } from '../helpers/verdict';

const PROBE = path.join(FIXTURES, 'probe.js');
const STARTERS = count(8, 100);
const ROUNDS = count(2, 20);
// Slow enough that every loser arrives while the winner is still starting.
const INIT_DELAY_MS = 1000;

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.cleanup();
  sb = undefined;
});

interface Round {
  results: CliResult[];
  /** Callers that exited 0 while the daemon's log did not yet say `ready`. */
  earlyOk: number;
  /** Pidfile samples that were stale, or empty once the winner had written its pid. */
  badSamples: string[];
  samples: number;
  daemons: number[];
}

async function race(s: Sandbox, oknodo: boolean): Promise<Round> {
  const args = ['start', PROBE, ...s.flags, ...(oknodo ? ['--oknodo'] : []), '--', s.tag, `--init-delay=${INIT_DELAY_MS}`];
  let earlyOk = 0;
  const seen: string[] = [];
  // Reads the file only (no lock taken), so the sampler cannot disturb the race.
  const sampler = setInterval(() => {
    try {
      seen.push(fs.readFileSync(s.pidfile, 'utf8'));
    } catch (e) {
      seen.push(`<${(e as NodeJS.ErrnoException).code}>`);
    }
  }, 5);
  try {
    const results = await Promise.all(
      Array.from({ length: STARTERS }, () =>
        td(args, { timeoutMs: 300_000 }).then((r) => {
          // A caller told "running" must find the daemon ready at that moment.
          if (r.code === 0 && !/ ready pid \d+/.test(s.readLog())) earlyOk++;
          return r;
        }),
      ),
    );
    clearInterval(sampler);
    // Before the daemon writes its pid the file is missing or empty; from then
    // on it names the winner, and nothing else, for the rest of the round.
    const final = `${s.readPid()}\n`;
    const first = seen.indexOf(final);
    const badSamples = seen.filter((t, i) => (i < first || first < 0 ? t !== '<ENOENT>' && t !== '' : t !== final)).map((t) => JSON.stringify(t.slice(0, 40)));
    return { results, earlyOk, badSamples, samples: seen.length, daemons: pidsWith(s.tag) };
  } finally {
    clearInterval(sampler);
  }
}

describe(`start races: ${STARTERS} concurrent starts of one name`, () => {
  it(`exactly one daemon per round over ${ROUNDS} rounds, with and without --oknodo`, { timeout: count(180_000, 4 * 3_600_000) }, async () => {
    const tally = { rounds: 0, oneDaemon: 0, plainLosersExit1: 0, plainLosers: 0, oknodoOk: 0, oknodoCallers: 0, earlyOk: 0, badSamples: 0, samples: 0, breaches: 0 };
    const problems: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const oknodo = round % 2 === 1;
      sb = sandbox('race');
      const r = await race(sb, oknodo);
      tally.rounds++;
      const winners = r.results.filter((x) => x.code === 0 && x.stdout.startsWith('started '));
      const pid = sb.readPid();
      const one = winners.length === 1 && r.daemons.length === 1 && pid === r.daemons[0] && !flockFree(sb.pidfile);
      if (one) tally.oneDaemon++;
      else problems.push(`round ${round}: ${winners.length} "started", daemons ${JSON.stringify(r.daemons)}, pidfile ${pid}`);
      const losers = r.results.filter((x) => !winners.includes(x));
      if (oknodo) {
        tally.oknodoCallers += r.results.length;
        tally.oknodoOk += r.results.filter((x) => x.code === 0).length;
      } else {
        tally.plainLosers += losers.length;
        tally.plainLosersExit1 += losers.filter((x) => x.code === 1 && /already running/.test(x.stderr)).length;
      }
      tally.earlyOk += r.earlyOk;
      tally.badSamples += r.badSamples.length;
      tally.samples += r.samples;
      for (const x of r.results) {
        const breach = contractBreach(x);
        if (breach) {
          tally.breaches++;
          problems.push(`round ${round}: ${breach}: ${x.stderr.slice(0, 300)}`);
        }
      }
      if (r.badSamples.length) problems.push(`round ${round}: pidfile read ${r.badSamples.slice(0, 3).join(', ')} while pid ${pid} ran`);
      if (r.earlyOk) problems.push(`round ${round}: ${r.earlyOk} caller(s) exited 0 before the daemon was ready`);
      // The round ends with a clean stop, and nothing of it may survive.
      const stop = await td(['stop', '--pidfile', sb.pidfile]);
      if (stop.code !== 0) problems.push(`round ${round}: stop exit ${stop.code}: ${stop.stderr}`);
      if (pid) await waitFor(() => !alive(pid), 10_000, 'the daemon to exit');
      await sb.cleanup();
      sb = undefined;
    }
    figure({
      item: '1 start races',
      tried: `${STARTERS} concurrent \`start\` of one name (init takes ${INIT_DELAY_MS} ms), alternate rounds with --oknodo`,
      times: tally.rounds,
      held:
        `one daemon per round ${tally.oneDaemon}/${tally.rounds}; losers exit 1 "already running" ${tally.plainLosersExit1}/${tally.plainLosers}; ` +
        `--oknodo callers exit 0 ${tally.oknodoOk}/${tally.oknodoCallers}, before readiness ${tally.earlyOk}; ` +
        `pidfile stale or empty while the winner ran ${tally.badSamples}/${tally.samples} samples; contract breaches ${tally.breaches}`,
    });
    expect(problems).toEqual([]);
  });
});

// `status` (and stop, reload, health, start --oknodo) looks at the lock by
// taking it shared for a few microseconds. A start that tries its exclusive
// lock in that instant must not take the reader for a running daemon.
const LOCKS = count(500, 20_000);
describe('start races against readers of the lock', () => {
  it(`a status probe holding the lock shared never makes a start say "already running" (${LOCKS} starts)`, { timeout: count(60_000, 600_000) }, async () => {
    sb = sandbox('race-probe');
    const load = createRequire(path.join(ROOT, 'package.json'));
    const pidfile = load(path.join(ROOT, 'dist', 'pidfile.js')) as typeof Pidfile;
    const file = sb.pidfile;
    fs.writeFileSync(file, '');
    // The real probe (dist/pidfile.js, what `status` runs), in a tight loop in another process.
    const script = `const p = require(${JSON.stringify(path.join(ROOT, 'dist', 'pidfile.js'))}); const fs = require('fs'); let n = 0;
      fs.writeFileSync(process.argv[1] + '.probing', ''); while (fs.existsSync(process.argv[1] + '.probing')) { p.probePidfile(process.argv[1]); n++; } console.log(n);`;
    const prober = spawn(process.execPath, ['-e', script, file, sb.tag], { stdio: ['ignore', 'pipe', 'inherit'] });
    let probes = '';
    prober.stdout.on('data', (d: Buffer) => (probes += d.toString()));
    await waitFor(() => fs.existsSync(`${file}.probing`), 20_000, 'the prober to start');
    let spurious = 0;
    for (let i = 0; i < LOCKS; i++) {
      try {
        fs.closeSync(pidfile.lockPidfile(file).fd); // taken, then released at once: nothing runs
      } catch (e) {
        if (!(e instanceof pidfile.AlreadyRunningError)) throw e;
        spurious++;
      }
    }
    fs.rmSync(`${file}.probing`);
    await new Promise((r) => prober.once('close', r));
    figure({
      item: '1 start races',
      tried: `pidfile lock taken ${LOCKS} times while another process probes it (status's shared lock) in a tight loop (${probes.trim()} probes)`,
      times: LOCKS,
      held: `starts told "already running" though nothing ran: ${spurious}/${LOCKS}`,
    });
    expect(spurious).toBe(0);
  });
});
