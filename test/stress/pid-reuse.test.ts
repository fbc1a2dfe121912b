// Failure-mode suite, item 3: pidfiles that name unrelated live processes.
// An unlocked (stale) pidfile, one locked by another program, one whose named
// process merely has the file open (`tail -f`), and a real PID reuse (the
// daemon is killed and the kernel gives its pid to a newcomer): `stop`,
// `reload`, `status` and `health` never signal any of them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, td } from '../helpers/cli';
import { alive, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';
import { count, figure, FULL } from '../helpers/stress';
import { contractBreach } from '../helpers/verdict';
import { spawnVictim, type Victim } from '../helpers/victim';

const PROBE = path.join(FIXTURES, 'probe.js');
const ROUNDS = count(1, 25);
const COMMANDS = [['stop'], ['stop', '--retry', 'KILL/1'], ['reload'], ['status'], ['health']];
// Quick mode (npm test) tries the commands that send signals; full mode all of them.
const TRIED = FULL ? COMMANDS : [COMMANDS[0]!, COMMANDS[2]!];

let sb: Sandbox;
let plain: Victim;
let holder: Victim;
let reader: Victim;
const shared = (): string => path.join(sb.dir, 'shared.pid');

beforeAll(async () => {
  sb = sandbox('reuse');
  plain = await spawnVictim(sb.dir, sb.tag);
  fs.writeFileSync(shared(), '');
  // Another program holds the lock: flock(1), and the victim under it shares its lock.
  holder = await spawnVictim(sb.dir, sb.tag, { wrap: ['flock', '-x', '-n', shared()] });
  // And one more only has the file open, as `tail -f` or `less` would.
  reader = await spawnVictim(sb.dir, sb.tag, { hold: shared() });
});
afterAll(async () => {
  await sb?.cleanup();
});

interface Case {
  name: string;
  /** Writes the pidfile for one command; returns its path. */
  prepare(): string;
  victims: () => Victim[];
}

const CASES: Case[] = [
  {
    name: 'unlocked, naming a live process',
    prepare() {
      const file = path.join(sb.dir, 'unlocked.pid');
      fs.writeFileSync(file, `${plain.pid}\n`);
      return file;
    },
    victims: () => [plain],
  },
  {
    name: 'locked by another program, naming a live process',
    prepare() {
      fs.writeFileSync(shared(), `${plain.pid}\n`);
      return shared();
    },
    victims: () => [plain, holder],
  },
  {
    name: 'locked by another program, naming a process that has the file open',
    prepare() {
      fs.writeFileSync(shared(), `${reader.pid}\n`);
      return shared();
    },
    victims: () => [reader, holder],
  },
];

// The kernel hands out pids in order: set the last one to N-1 and the next
// fork gets N, unless another process on the machine forks first (then retry).
async function victimWithPid(pid: number): Promise<Victim | null> {
  for (let attempt = 0; attempt < 40; attempt++) {
    fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    const v = await spawnVictim(sb.dir, sb.tag);
    if (v.pid === pid) return v;
    process.kill(v.pid, 'SIGKILL');
  }
  return null;
}

describe('PID reuse: pidfiles naming unrelated live processes', () => {
  it(`stop, reload, status and health never signal them (${ROUNDS} round(s))`, { timeout: count(180_000, 4 * 3_600_000) }, async () => {
    let trials = 0;
    let reuses = 0;
    const hits: string[] = [];
    const breaches: string[] = [];
    const attempt = async (label: string, file: string, victims: Victim[], cmd: string[]): Promise<void> => {
      const r = await td([...cmd, '--pidfile', file], { timeoutMs: 30_000 });
      trials++;
      const breach = contractBreach(r);
      if (breach) breaches.push(`${label} ${cmd.join(' ')}: ${breach}: ${r.stderr.slice(0, 300)}`);
      for (const v of victims) {
        const got = await v.received();
        if (got.length) hits.push(`${label}: \`${cmd.join(' ')}\` hit pid ${v.pid}: ${got.join(', ')} (exit ${r.code}: ${(r.stdout + r.stderr).trim()})`);
      }
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of CASES) {
        for (const cmd of TRIED) await attempt(c.name, c.prepare(), c.victims(), cmd);
      }
      // A real reuse: the daemon dies without cleaning up, a newcomer gets its pid.
      const s = sandbox('reuse-daemon');
      try {
        const up = await td(['start', PROBE, ...s.flags, '--', s.tag]);
        expect(up.code).toBe(0);
        const pid = s.readPid()!;
        process.kill(pid, 'SIGKILL');
        await waitFor(() => !alive(pid), 5_000, 'the daemon to die');
        const newcomer = await victimWithPid(pid);
        if (newcomer) {
          reuses++;
          for (const cmd of TRIED) {
            fs.writeFileSync(s.pidfile, `${pid}\n`); // `stop` removes the stale file each time
            await attempt('reused pid', s.pidfile, [newcomer], cmd);
          }
          process.kill(newcomer.pid, 'SIGKILL');
        }
      } finally {
        await s.cleanup();
      }
    }
    figure({
      item: '3 PID reuse',
      tried: `${TRIED.map((c) => c.join(' ')).join(', ')} on pidfiles naming unrelated live processes: unlocked; locked by another program; naming a process that only has the file open; a real reuse of a killed daemon's pid (${reuses} achieved)`,
      times: trials,
      held: `unrelated processes signalled: ${hits.length} of ${trials} commands (${(((trials - hits.length) / trials) * 100).toFixed(1)} % untouched); contract breaches ${breaches.length}`,
    });
    expect(hits).toEqual([]);
    expect(breaches).toEqual([]);
  });
});
