// One trial of each contender on the fixture app: start it, read its memory,
// stop it. Every trial returns the figures it could measure, in milliseconds
// (memory in MB):
//   start   the start command, spawn → exit
//   ready   spawn → the app listens (the fixture's stamp)
//   fork    spawn → the app's node process begins (its performance.now() origin)
//   boot    the app's own node: process start → listening
//   stop    the stop command, spawn → exit
//   exited  stop spawn → the app's exit, as the prompt reaper saw it (subreaper only)
//   rss, priv (and pm2's God daemon: godRss, godPriv)
import fs from 'node:fs';
import path from 'node:path';
import { monoMs } from './launcher.mjs';
import { memory, readPid, sleep, waitGone, waitStamp } from './proc.mjs';

// Memory is read this long after ready, the same moment for every contender.
const MEMORY_SETTLE_MS = 200;

function stampFigures(t0, t1, s) {
  return { start: t1 - t0, ready: s.readyMs - t0, fork: s.originMs - t0, boot: s.readyMs - s.originMs };
}

async function settledMemory(pid, prefix = '') {
  await sleep(MEMORY_SETTLE_MS);
  const m = memory(pid);
  return { [`${prefix}rss`]: m.rss, [`${prefix}priv`]: m.priv, [`${prefix}anon`]: m.anon };
}

/** The stop command's wall time, and when the prompt reaper reaped the app (if it is the app's reaper). */
async function timedStop(L, argv, pid, env, okCodes) {
  const reaped = L.subreaper ? L.reaped(pid) : null;
  const r = await L.run(argv, { env, okCodes });
  return { stop: r.ms, ...(reaped && { exited: (await reaped) - r.t0 }) };
}

/**
 * The contenders. Each is (L, trial) => figures, where L is the launcher (a
 * prompt subreaper or not) and trial holds { i, dir, memory } (memory: read it).
 */
export function makeContenders(ctx) {
  const { node, app, env, peers, pids } = ctx;
  const stampFile = (dir, name) => {
    const f = path.join(dir, `${name}.stamp`);
    fs.rmSync(f, { force: true });
    return f;
  };

  const floor = async (L) => ({ start: (await L.run([node, '-e', '0'], { env })).ms });

  // The app alone: its own time to ready, and its own SIGTERM → exit (it is the reaper's child).
  const bare = async (L, t) => {
    const stamp = stampFile(t.dir, 'bare');
    const child = L.start([node, app, '0', stamp], { env });
    let exited = false;
    void child.done.then(() => (exited = true));
    const { pid, t0 } = await child.spawned;
    pids.add(pid);
    const s = await waitStamp(stamp, undefined, () => !exited);
    const figures = { ready: s.readyMs - t0, fork: s.originMs - t0, boot: s.readyMs - s.originMs };
    if (t.memory) Object.assign(figures, await settledMemory(pid));
    const signalled = monoMs();
    process.kill(pid, 'SIGTERM');
    const d = await child.done;
    return { ...figures, exited: d.t1 - signalled };
  };

  // The fixture as a user's app: a copy of it beside a node_modules/taskdaemon
  // that links to the checkout measured, so it requires 'taskdaemon' by name.
  const userApp = (label, root) => {
    const dir = path.join(ctx.dir, `app-${label}`);
    fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    fs.symlinkSync(root, path.join(dir, 'node_modules', 'taskdaemon'));
    const file = path.join(dir, 'app.js');
    fs.copyFileSync(app, file);
    return file;
  };

  const taskdaemon = (label, root) => {
    const appCopy = userApp(label, root);
    return async (L, t) => {
      const cli = path.join(root, 'bin', 'taskdaemon.js');
      const stamp = stampFile(t.dir, label);
      const pidfile = path.join(t.dir, `${label}.pid`);
      const r = await L.run([node, cli, 'start', appCopy, '--name', label, '--pidfile', pidfile, '--stdout', path.join(t.dir, `${label}.log`), '--', '0', stamp], { env });
      const s = await waitStamp(stamp);
      const pid = pids.add(s.pid);
      const figures = stampFigures(r.t0, r.t1, s);
      if (t.memory) Object.assign(figures, await settledMemory(pid));
      return { ...figures, ...(await timedStop(L, [node, cli, 'stop', '--pidfile', pidfile], pid, env)) };
    };
  };

  const ssdNotify = async (L, t) => {
    const stamp = stampFile(t.dir, 'ssd');
    const pidfile = path.join(t.dir, 'ssd.pid');
    const r = await L.run([peers.ssd, '--start', '--background', '--notify-await', '--notify-timeout', '10', '--make-pidfile', '--pidfile', pidfile, '--exec', node, '--', app, '0', stamp], { env });
    const s = await waitStamp(stamp);
    const pid = pids.add(s.pid);
    if (readPid(pidfile) !== pid) throw new Error(`ssd pidfile names ${readPid(pidfile)}, the app is ${pid}`);
    const figures = stampFigures(r.t0, r.t1, s);
    if (t.memory) Object.assign(figures, await settledMemory(pid));
    return { ...figures, ...(await timedStop(L, [peers.ssd, '--stop', '--pidfile', pidfile, '--retry', 'TERM/30/KILL/5', '--remove-pidfile'], pid, env)) };
  };

  // pm2 keeps its state in PM2_HOME (a temp dir); its God daemon outlives the CLI.
  const pm2Env = { ...env, PM2_HOME: path.join(ctx.dir, 'pm2-home') };
  const pm2 = (argv) => [node, peers.pm2, ...argv];
  const godPid = () => readPid(path.join(pm2Env.PM2_HOME, 'pm2.pid'));

  const pm2Trial = (cold) => async (L, t) => {
    if (cold) await L.run(pm2(['kill']), { env: pm2Env }); // untimed: no God daemon before this start
    const stamp = stampFile(t.dir, 'pm2');
    const r = await L.run(pm2(['start', app, '--name', 'bench-pm2', '--wait-ready', '--', '0', stamp]), { env: pm2Env });
    const s = await waitStamp(stamp);
    const pid = pids.add(s.pid);
    pids.add(godPid());
    const figures = stampFigures(r.t0, r.t1, s);
    if (t.memory) Object.assign(figures, await settledMemory(pid), memoryOf(godPid(), 'god'));
    if (cold) {
      await L.run(pm2(['delete', 'bench-pm2']), { env: pm2Env });
      return figures;
    }
    // Every other trial times `pm2 delete` of the running app; the others `pm2 stop`, then delete it untimed.
    if (t.i % 2 === 1) return { ...figures, delete: (await L.run(pm2(['delete', 'bench-pm2']), { env: pm2Env })).ms };
    // The app is the God daemon's child, which reaps it: no exit time from our reaper.
    const stop = await L.run(pm2(['stop', 'bench-pm2']), { env: pm2Env });
    await L.run(pm2(['delete', 'bench-pm2']), { env: pm2Env });
    return { ...figures, stop: stop.ms };
  };

  // The npm `daemon` package re-spawns the script detached and exits: it returns before the app is ready.
  const npmDaemon = async (L, t) => {
    const stamp = stampFile(t.dir, 'npm-daemon');
    const r = await L.run([node, ctx.npmDaemonLauncher, '0', stamp], { env: { ...env, BENCH_DAEMON_PKG: peers.daemonPkg } });
    const s = await waitStamp(stamp);
    const pid = pids.add(s.pid);
    const figures = stampFigures(r.t0, r.t1, s);
    if (t.memory) Object.assign(figures, await settledMemory(pid));
    // No stop command: SIGTERM, and wait until it is gone.
    const reaped = L.subreaper ? L.reaped(pid) : null;
    const signalled = monoMs();
    process.kill(pid, 'SIGTERM');
    if (reaped) figures.exited = (await reaped) - signalled;
    else await waitGone(pid);
    return figures;
  };

  return { floor, bare, taskdaemon, ssdNotify, pm2Warm: pm2Trial(false), pm2Cold: pm2Trial(true), npmDaemon, pm2Env };
}

function memoryOf(pid, prefix) {
  const m = memory(pid);
  return { [`${prefix}Rss`]: m.rss, [`${prefix}Priv`]: m.priv, [`${prefix}Anon`]: m.anon };
}

