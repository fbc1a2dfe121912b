// `taskdaemon run` as init (DESIGN.md §9): as PID 1 of a new pid namespace
// (unshare --pid --fork --mount-proc, as a container runs it) and with --init
// as a subreaper. The app runs in a child; an orphan it leaves is reaped when
// it exits (no zombie remains); SIGTERM to init reaches the app and init exits
// with the app's code (128+N when a signal N ended it); the pidfile names init,
// so stop and reload from outside go through it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, isRoot, td } from '../helpers/cli';
import { alive, childrenOf, procStat, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const ORPHANS = path.join(FIXTURES, 'orphans.js');
const PROGRAM = path.join(FIXTURES, 'program.py');
const canUnshare = isRoot && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;
if (!canUnshare) console.warn('init.test: pid-namespace tests skipped (needs root and unshare)');

let sb: Sandbox;
const started: ChildProcess[] = [];
afterEach(async () => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await sb?.cleanup();
});

interface Running {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function launch(argv: string[]): Running {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output, exit: once(child, 'exit').then(([code]) => code as number | null) };
}

// `unshare --fork` runs the command as its child: that process is PID 1 inside.
const inNamespace = (args: string[]): string[] => ['unshare', '--pid', '--fork', '--mount-proc', process.execPath, BIN, 'run', ...args];


// Init's pid as the host sees it: the child of unshare.
async function initOf(r: Running): Promise<number> {
  await waitFor(() => childrenOf(r.child.pid!).length === 1, 10_000, 'unshare to start init');
  return childrenOf(r.child.pid!)[0]!.pid;
}

describe.skipIf(!canUnshare)('run as PID 1 of a pid namespace', () => {
  it('reaps the orphan the app leaves (no zombie remains), forwards SIGTERM, exits with the app code', async () => {
    sb = sandbox();
    const touched = path.join(sb.dir, 'orphan-done');
    const r = launch(inNamespace([ORPHANS, '--no-pidfile', '--no-state-file', '--name', sb.name, '--', sb.tag, `--touch=${touched}`]));
    const init = await initOf(r);
    await waitFor(() => r.output().includes(' app-ready '), 10_000, 'the app to be ready');
    const app = Number(/runs as pid (\d+)/.exec(r.output())![1]); // its pid inside the namespace
    expect(app).toBeGreaterThan(1);
    expect(r.output()).toMatch(/ 1 init .*reaping orphans/); // init is PID 1 in there
    // The orphan was adopted by init; once it has exited, only the app is left among init's children.
    await waitFor(() => fs.existsSync(`${touched}.1`), 10_000, 'the orphan to finish its work');
    await waitFor(() => childrenOf(init).length === 1, 5_000, 'the orphan to be reaped');
    expect(childrenOf(init)[0]!.state).not.toBe('Z');

    process.kill(init, 'SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.output()).toContain('orphans-shutdown shutdown hook ran'); // a graceful stop, not a kill
    expect(r.output()).toMatch(/app-exit pid \d+ exited with code 0; exit 0/);
  });

  it("a program's own exit code comes out of init; a signal N that ends the app gives 128+N", async () => {
    sb = sandbox();
    const r = launch(inNamespace([PROGRAM, '--no-pidfile', '--no-state-file', '--name', sb.name, '--', sb.tag, '--term-exit=42']));
    const init = await initOf(r);
    await waitFor(() => r.output().includes('program-start'), 10_000, 'the program to start');
    process.kill(init, 'SIGTERM');
    expect(await r.exit).toBe(42);
    expect(r.output()).toContain('program-term');

    const killed = launch(inNamespace([PROGRAM, '--no-pidfile', '--no-state-file', '--name', sb.name, '--', sb.tag]));
    const init2 = await initOf(killed);
    await waitFor(() => killed.output().includes('program-start'), 10_000, 'the program to start');
    process.kill(childrenOf(init2)[0]!.pid, 'SIGKILL');
    expect(await killed.exit).toBe(137);
  });
});

describe('run of a program with --ready notify', () => {
  it('init counts it ready at its READY=1 (not before), then passes SIGTERM on', async () => {
    sb = sandbox();
    const r = launch([process.execPath, BIN, 'run', PROGRAM, '--init', '--ready', 'notify', '--no-pidfile', '--no-state-file', '--name', sb.name, '--', sb.tag, '--notify-after=300']);
    await waitFor(() => / app-ready /.test(r.output()), 10_000, () => `init to see READY=1:\n${r.output()}`);
    // Ready only after the program said so (it logs program-ready just before sending READY=1).
    expect(r.output().indexOf('program-ready')).toBeGreaterThan(-1);
    expect(r.output().indexOf('program-ready')).toBeLessThan(r.output().indexOf(' app-ready '));
    process.kill(r.child.pid!, 'SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.output()).toContain('program-term');
  });
});

describe('run --init (a subreaper, not PID 1)', () => {
  it('reaps orphans too; the pidfile names init, and status, reload and stop work through it', async () => {
    sb = sandbox();
    const touched = path.join(sb.dir, 'orphan-done');
    const r = launch([process.execPath, BIN, 'run', ORPHANS, '--init', ...sb.flags, '--', sb.tag, `--touch=${touched}`]);
    await waitFor(() => sb.readLog().includes(' app-ready '), 10_000, 'the app to be ready'); // --stdout: init and app log there
    const init = r.child.pid!;
    expect(sb.readPid()).toBe(init);
    const app = Number(/runs as pid (\d+)/.exec(sb.readLog())![1]);
    expect(procStat(app).ppid).toBe(init);
    await waitFor(() => fs.existsSync(`${touched}.1`), 10_000, 'the orphan to finish its work');
    await waitFor(() => childrenOf(init).map((c) => c.pid).join() === String(app), 5_000, 'the orphan to be reaped');

    const status = await td(['status', '--pidfile', sb.pidfile]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`is running (pid ${init})`);
    expect(status.stdout).toMatch(/phase ready/); // the app's own report, through the socket it serves
    expect(await td(['reload', '--pidfile', sb.pidfile])).toMatchObject({ code: 0, stdout: `reloaded ${sb.name} (generation 1)\n` });
    expect(await td(['stop', '--pidfile', sb.pidfile])).toMatchObject({ code: 0, stdout: `stopped ${sb.name} (pid ${init})\n` });
    expect(await r.exit).toBe(0);
    expect(alive(app)).toBe(false);
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });
});
