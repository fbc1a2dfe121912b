// Failure-mode suite, item 4: hostile files. The pidfile or the log as a
// symlink or hard link to a victim file, a FIFO in their place, a world-writable
// pid directory, a pidfile owned by another user, garbage in the pidfile. Each
// is refused or handled with one line and a documented exit code; the victim
// file keeps its bytes and times, the victim process gets no signal, and a
// refused start leaves no process and no pidfile. RELIABILITY.md writes the
// rules down beside start-stop-daemon's and systemd's.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, td, type CliResult } from '../helpers/cli';
import { alive, flockFree, pidsWith, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';
import { rng } from '../helpers/rng';
import { count, figure, FULL } from '../helpers/stress';
import { contractBreach } from '../helpers/verdict';
import { spawnVictim, type Victim } from '../helpers/victim';

const PROBE = path.join(FIXTURES, 'probe.js');
const REPEAT = count(1, 3);
const random = rng();

let sb: Sandbox;
let victim: Victim;
beforeAll(async () => {
  sb = sandbox('hostile');
  victim = await spawnVictim(sb.dir, sb.tag);
});
afterAll(async () => {
  await sb?.cleanup();
});

// A victim file worth protecting: it names the victim process, so a pidfile
// that followed it would even point at a live process.
function victimFile(dir: string): string {
  const file = path.join(dir, 'victim.txt');
  fs.writeFileSync(file, `${victim.pid}\n`);
  fs.utimesSync(file, new Date(1_000_000_000_000), new Date(1_000_000_000_000));
  return file;
}

interface Snapshot {
  text: string;
  mtimeMs: number;
  mode: number;
  uid: number;
}
function snapshot(file: string): Snapshot {
  const st = fs.lstatSync(file);
  return { text: st.isFile() ? fs.readFileSync(file, 'latin1') : '', mtimeMs: st.mtimeMs, mode: st.mode, uid: st.uid };
}

interface Setup {
  dir: string;
  pidfile: string;
  log: string;
  /** Files that must come out of the command exactly as they went in. */
  guarded: string[];
  /** A program that holds the pidfile's lock meanwhile. */
  holder?: ChildProcess;
}

interface Case {
  name: string;
  /** Quick mode (npm test) runs the first command of each case; full mode all of them. */
  commands: string[][];
  setup(dir: string, cmd: string[]): Setup;
  /** What the answer must say, beyond the common contract. */
  expect?: { [cmd: string]: { code?: number[]; says?: RegExp } };
  /** The command line, when it is not the usual start/stop/... on the setup's pidfile. */
  argv?: (cmd: string[], setup: Setup) => string[];
}

const fresh = (name: string): string => {
  const dir = path.join(sb.dir, `${name.replace(/\W+/g, '-')}-${Math.random().toString(36).slice(2, 8)}`);
  fs.mkdirSync(dir, { mode: 0o755 });
  return dir;
};
const START = ['start'];
const TARGETS = [['stop'], ['status'], ['reload'], ['health']];

// Each kind of garbage, given the victim process's pid (so some of it nearly names it).
const GARBAGE: [string, (pid: number) => Buffer | string][] = [
  ['letters', () => 'abc\n'],
  ['a negative pid (a process group)', (pid) => `-${pid}\n`],
  ['zero', () => '0\n'],
  ['pid + junk', (pid) => `${pid}abc\n`],
  ['two pids', (pid) => `${pid}\n${process.pid}\n`],
  ['hex', (pid) => `0x${pid.toString(16)}\n`],
  ['a pid past 2^32', () => `${2 ** 32 + 1}\n`],
  ['a pid past pid_max', () => '99999999\n'],
  ['NUL bytes', (pid) => Buffer.concat([Buffer.from(String(pid)), Buffer.alloc(8)])],
  ['fullwidth digits', () => '１２３\n'],
  ['1 MiB of digits', () => '7'.repeat(1 << 20)],
  ['binary noise', (pid) => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + pid) & 255))],
];

function cases(): Case[] {
  const list: Case[] = [
    {
      name: 'pidfile is a symlink to a victim',
      commands: [START, ...TARGETS],
      setup(dir) {
        const v = victimFile(dir);
        const pidfile = path.join(dir, 'd.pid');
        fs.symlinkSync(v, pidfile);
        return { dir, pidfile, log: path.join(dir, 'd.log'), guarded: [v] };
      },
      expect: { start: { code: [1], says: /symbolic link/ } },
    },
    {
      name: 'pidfile is a hard link to a victim',
      commands: [START, ...TARGETS],
      setup(dir) {
        const v = victimFile(dir);
        const pidfile = path.join(dir, 'd.pid');
        fs.linkSync(v, pidfile);
        return { dir, pidfile, log: path.join(dir, 'd.log'), guarded: [v] };
      },
      expect: { start: { code: [1], says: /hard link/ } },
    },
    {
      name: 'log is a symlink to a victim',
      commands: [START],
      setup(dir) {
        const v = victimFile(dir);
        const log = path.join(dir, 'd.log');
        fs.symlinkSync(v, log);
        return { dir, pidfile: path.join(dir, 'd.pid'), log, guarded: [v] };
      },
      expect: { start: { code: [1], says: /symbolic link/ } },
    },
    {
      name: 'log is a hard link to a victim',
      commands: [START],
      setup(dir) {
        const v = victimFile(dir);
        const log = path.join(dir, 'd.log');
        fs.linkSync(v, log);
        return { dir, pidfile: path.join(dir, 'd.pid'), log, guarded: [v] };
      },
      expect: { start: { code: [1], says: /hard link/ } },
    },
    {
      name: 'pidfile is a FIFO',
      commands: [['status'], ['stop'], ['reload'], ['health'], START],
      setup(dir) {
        const pidfile = path.join(dir, 'd.pid');
        spawnSyncOk('mkfifo', [pidfile]);
        return { dir, pidfile, log: path.join(dir, 'd.log'), guarded: [pidfile] };
      },
      expect: { start: { code: [1], says: /not a regular file/ }, status: { code: [4] } },
    },
    {
      name: 'log is a FIFO',
      commands: [START],
      setup(dir) {
        const log = path.join(dir, 'd.log');
        spawnSyncOk('mkfifo', [log]);
        return { dir, pidfile: path.join(dir, 'd.pid'), log, guarded: [log] };
      },
      expect: { start: { code: [1], says: /not a regular file/ } },
    },
    {
      name: 'pid directory writable by everyone, not sticky',
      commands: [START],
      setup(dir) {
        const pdir = path.join(dir, 'run');
        fs.mkdirSync(pdir);
        fs.chmodSync(pdir, 0o777);
        return { dir, pidfile: path.join(pdir, 'd.pid'), log: path.join(dir, 'd.log'), guarded: [] };
      },
      expect: { start: { code: [1], says: /writable by everyone/ } },
    },
    {
      name: 'pidfile owned by another user, naming a live process',
      commands: [['stop'], START, ['status'], ['reload'], ['health']],
      setup(dir) {
        const pidfile = path.join(dir, 'd.pid');
        fs.writeFileSync(pidfile, `${victim.pid}\n`);
        fs.chownSync(pidfile, 65534, 65534);
        return { dir, pidfile, log: path.join(dir, 'd.log'), guarded: [pidfile] };
      },
      expect: { start: { code: [1], says: /owned by uid 65534/ }, stop: { code: [1] } },
    },
    {
      name: 'install --output --force at a device node, a FIFO or a directory',
      commands: [['install', 'c'], ['install', 'p'], ['install', 'd']],
      setup(dir, cmd) {
        const node = path.join(dir, 'node');
        if (cmd[1] === 'd') fs.mkdirSync(node);
        else spawnSyncOk('mknod', cmd[1] === 'c' ? [node, 'c', '1', '3'] : [node, 'p']); // c 1 3 is /dev/null's device
        return { dir, pidfile: path.join(dir, 'd.pid'), log: path.join(dir, 'd.log'), guarded: [node] };
      },
      argv: (_cmd, setup) => ['install', 'systemd', PROBE, '--name', 'hostile', '--output', setup.guarded[0]!, '--force'],
      expect: { install: { code: [1], says: /not a regular file/ } },
    },
  ];
  // Quick mode (npm test) tries one kind of garbage, drawn by the seed; full mode all.
  const garbageKinds = FULL ? GARBAGE : [random.pick(GARBAGE)];
  for (const [what, garbage] of garbageKinds) {
    list.push({
      name: `garbage in the pidfile: ${what}`,
      // The start must take the file over: garbage is no daemon.
      commands: [['stop'], ['status'], ['reload'], ['health'], START],
      setup(dir) {
        const pidfile = path.join(dir, 'd.pid');
        fs.writeFileSync(pidfile, garbage(victim.pid));
        return { dir, pidfile, log: path.join(dir, 'd.log'), guarded: [] };
      },
      expect: { start: { code: [0] }, status: { code: [1, 3] } },
    });
    list.push({
      name: `garbage in a pidfile another program holds locked: ${what}`,
      commands: [['stop'], ['reload'], ['status']],
      setup(dir) {
        const pidfile = path.join(dir, 'd.pid');
        fs.writeFileSync(pidfile, garbage(victim.pid));
        // Its own process group, so flock(1) and the sleep that inherits the lock go together.
        // Not -n: the test's probe (flockFree) may hold the lock for a moment first; flock(1) waits for it.
        const holder = spawn('flock', ['-x', pidfile, 'sleep', '600'], { stdio: 'ignore', detached: true });
        return { dir, pidfile, log: path.join(dir, 'd.log'), guarded: [pidfile], holder };
      },
    });
  }
  return list;
}

function spawnSyncOk(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

async function runCommand(c: Case, cmd: string[], setup: Setup): Promise<string[]> {
  const problems: string[] = [];
  const label = `${c.name}: ${cmd.join(' ')}`;
  const before = new Map(setup.guarded.map((f) => [f, snapshot(f)]));
  const pidfileExisted = fs.existsSync(setup.pidfile) || isLink(setup.pidfile);
  const argv = c.argv
    ? c.argv(cmd, setup)
    : cmd[0] === 'start'
      ? ['start', PROBE, '--name', 'hostile', '--pidfile', setup.pidfile, '--stdout', setup.log, '--no-state-file', '--', sb.tag]
      : [...cmd, '--pidfile', setup.pidfile];
  let r: CliResult;
  try {
    r = await td(argv, { timeoutMs: 30_000 });
  } catch (e) {
    return [`${label}: hung (${(e as Error).message.split('\n')[0]})`];
  }
  const breach = contractBreach(r);
  if (breach) problems.push(`${label}: ${breach}: ${r.stderr.slice(0, 300)}`);
  const want = c.expect?.[cmd[0]!];
  if (want?.code && !want.code.includes(r.code ?? -1)) problems.push(`${label}: exit ${r.code}, expected ${want.code.join(' or ')}: ${(r.stdout + r.stderr).trim().slice(0, 300)}`);
  if (want?.says && !want.says.test(r.stderr)) problems.push(`${label}: said ${JSON.stringify(r.stderr.trim().slice(0, 300))}, expected ${want.says}`);
  for (const [file, snap] of before) {
    const now = snapshot(file);
    if (JSON.stringify(now) !== JSON.stringify(snap)) problems.push(`${label}: ${path.basename(file)} changed: ${JSON.stringify(snap)} -> ${JSON.stringify(now)}`);
  }
  const got = await victim.received();
  if (got.length) problems.push(`${label}: the victim process got ${got.join(', ')}`);
  if (cmd[0] === 'start') {
    if (r.code === 0) {
      const stop = await td(['stop', '--pidfile', setup.pidfile]);
      if (stop.code !== 0) problems.push(`${label}: stop after the start: exit ${stop.code} ${stop.stderr}`);
    } else {
      // A refused start leaves nothing: no daemon, and no pidfile it created.
      if (pidsWith(sb.tag).some((p) => p !== victim.pid && alive(p))) problems.push(`${label}: a process was left running`);
      if (!pidfileExisted && fs.existsSync(setup.pidfile)) problems.push(`${label}: left a pidfile behind`);
    }
  }
  return problems;
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

describe('hostile files', () => {
  it(`refused or handled, victims untouched (${REPEAT} round(s))`, { timeout: count(180_000, 3_600_000) }, async () => {
    const all = cases();
    const problems: string[] = [];
    let trials = 0;
    let held = 0;
    for (let round = 0; round < REPEAT; round++) {
      for (const c of all) {
        for (const cmd of FULL ? c.commands : c.commands.slice(0, 1)) {
          const setup = c.setup(fresh(c.name), cmd);
          try {
            if (setup.holder) await waitFor(() => !flockFree(setup.pidfile), 20_000, 'flock(1) to lock');
            const p = await runCommand(c, cmd, setup);
            trials++;
            if (p.length === 0) held++;
            problems.push(...p);
          } finally {
            if (setup.holder?.pid) process.kill(-setup.holder.pid, 'SIGKILL');
          }
        }
      }
    }
    figure({
      item: '4 hostile files',
      tried: `${all.length} hostile setups (symlink and hard link to a victim as pidfile or log, FIFOs, world-writable pid directory, foreign owner, garbage of ${FULL ? GARBAGE.length : 1} kind(s) unlocked and locked) x ${FULL ? 'start, stop, status, reload, health' : 'one command each'} (seed ${random.seed})`,
      times: trials,
      held: `refused or handled with one line and a documented code, victim file and process untouched, nothing left: ${held}/${trials}`,
    });
    expect(problems).toEqual([]);
  });
});
