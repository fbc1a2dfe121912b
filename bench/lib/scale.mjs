// Section: many daemons at once. N different daemons started in parallel
// (wall time until every start has returned ready), `status` of all of them
// in parallel, stopping all of them, and N concurrent starts of ONE name
// (exactly one may win). start-stop-daemon --notify-await runs the same
// shapes as the peer; with one pidfile it has no lock, so the figure to read
// there is how many copies ended up running.
import fs from 'node:fs';
import path from 'node:path';
import { PASS_LIBRARY, sleep, waitStamp } from './proc.mjs';

/** Runs all argvs at once; resolves { wall, results } (wall: first spawn → last exit). */
async function parallel(L, argvs, env, okCodes) {
  const results = await Promise.all(argvs.map((argv) => L.run(argv, { env, okCodes })));
  const wall = Math.max(...results.map((r) => r.t1)) - Math.min(...results.map((r) => r.t0));
  return { wall, results };
}

async function stampsOf(files, pids) {
  const out = [];
  for (const f of files) if (fs.existsSync(f)) out.push(pids.add((await waitStamp(f)).pid));
  return out;
}

async function taskdaemonScale(ctx, n, dir) {
  const L = ctx.launchers.prompt;
  const env = { ...ctx.env, BENCH_TASKDAEMON: ctx.root };
  const cli = [ctx.node, path.join(ctx.root, 'bin', 'taskdaemon.js')];
  const names = Array.from({ length: n }, (_, i) => `bench-scale-${i}`);
  const pidfile = (name) => path.join(dir, `${name}.pid`);
  const stamp = (name) => path.join(dir, `${name}.stamp`);
  const start = (name, st = stamp(name)) => [...cli, 'start', ctx.app, '--name', name, '--pidfile', pidfile(name), '--stdout', path.join(dir, `${name}.log`), ...PASS_LIBRARY, '--', '0', st];

  const started = await parallel(L, names.map((name) => start(name)), env, [0]);
  const pids = await stampsOf(names.map(stamp), ctx.pids);
  if (pids.length !== n) throw new Error(`taskdaemon scale: ${pids.length} of ${n} daemons listened`);
  const status = await parallel(L, names.map((name) => [...cli, 'status', '--pidfile', pidfile(name)]), env, [0]);
  const stop = await parallel(L, names.map((name) => [...cli, 'stop', '--pidfile', pidfile(name)]), env, [0]);

  // One name, n starts at once: exactly one exits 0, the rest 1 ("already running").
  const oneStamps = names.map((_, i) => path.join(dir, `one-${i}.stamp`));
  const one = await parallel(L, oneStamps.map((st) => start('bench-one', st)), env, [0, 1]);
  const winners = one.results.filter((r) => r.code === 0).length;
  await sleep(200); // a second copy, if the lock let one through, would have listened by now
  const running = (await stampsOf(oneStamps, ctx.pids)).length;
  await L.run([...cli, 'stop', '--pidfile', pidfile('bench-one')], { env, okCodes: [0, 1] });
  return { start: started.wall, status: status.wall, stop: stop.wall, oneName: one.wall, oneWinners: winners, oneRunning: running };
}

async function ssdScale(ctx, n, dir) {
  const L = ctx.launchers.prompt;
  const ssd = ctx.peers.ssd;
  const names = Array.from({ length: n }, (_, i) => `ssd-scale-${i}`);
  const pidfile = (name) => path.join(dir, `${name}.pid`);
  const stamp = (name) => path.join(dir, `${name}.stamp`);
  const start = (name, st = stamp(name)) => [ssd, '--start', '--background', '--notify-await', '--notify-timeout', '30', '--make-pidfile', '--pidfile', pidfile(name), '--exec', ctx.node, '--', ctx.app, '0', st];
  const stopArgv = (name) => [ssd, '--stop', '--pidfile', pidfile(name), '--retry', 'TERM/30/KILL/5', '--remove-pidfile'];

  const started = await parallel(L, names.map((name) => start(name)), ctx.env, [0]);
  const pids = await stampsOf(names.map(stamp), ctx.pids);
  if (pids.length !== n) throw new Error(`ssd scale: ${pids.length} of ${n} apps listened`);
  const status = await parallel(L, names.map((name) => [ssd, '--status', '--pidfile', pidfile(name)]), ctx.env, [0]);
  const stop = await parallel(L, names.map(stopArgv), ctx.env, [0]);

  const oneStamps = names.map((_, i) => path.join(dir, `ssd-one-${i}.stamp`));
  const one = await parallel(L, oneStamps.map((st) => start('ssd-one', st)), ctx.env, [0, 1]);
  const winners = one.results.filter((r) => r.code === 0).length;
  await sleep(200);
  const runningPids = await stampsOf(oneStamps, ctx.pids);
  // Without a lock several may run: stop the one the pidfile names, SIGTERM the rest.
  await L.run(stopArgv('ssd-one'), { env: ctx.env, okCodes: [0, 1] });
  for (const pid of runningPids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  }
  return { start: started.wall, status: status.wall, stop: stop.wall, oneName: one.wall, oneWinners: winners, oneRunning: runningPids.length };
}

export async function scaleSection(ctx, log) {
  const n = ctx.opts.scale;
  const dir = path.join(ctx.dir, 'scale');
  fs.mkdirSync(dir, { recursive: true });
  const res = { n };
  log(`scale: ${n} taskdaemon daemons`);
  res.taskdaemon = await taskdaemonScale(ctx, n, dir);
  if (ctx.peers.ssd) {
    log(`scale: ${n} start-stop-daemon apps`);
    res.ssd = await ssdScale(ctx, n, dir);
  }
  return res;
}
