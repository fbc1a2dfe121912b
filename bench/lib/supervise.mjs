// Section: supervision (issue 12). One app (fixture/drain-app.js), two
// instances, under taskdaemon's supervisor (`start --instances 2 --listen`)
// and under pm2's cluster mode (`pm2 start -i 2 --wait-ready`), each put
// under the same bounded loopback load (lib/http-load.cjs: one sequential
// client, 8 keep-alive clients) while it is restarted gracefully N times in
// a row (`taskdaemon restart --graceful`, `pm2 reload`). Counted: requests,
// failed ones by reason, whether every instance pid was replaced each time,
// each restart command's wall time, and the memory of the process that
// supervises (taskdaemon's supervisor, pm2's God daemon) and of an instance.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startLoad } from './http-load.cjs';
import { memory, readPid, sleep } from './proc.mjs';

const INSTANCES = 2;
const MEMORY_SETTLE_MS = 200;

async function freePort() {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function until(test, what, ms = 60_000) {
  const t0 = Date.now();
  while (!test()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// Restarts `n` times under load; `restart()` runs one and resolves { ms, before, after } (instance pids).
async function underLoad(port, n, restart, log, label) {
  const load = startLoad(port, 8);
  const times = [];
  let replaced = 0;
  let res = null;
  try {
    await until(() => load.requests >= 200, 'the load to get going');
    for (let i = 0; i < n; i++) {
      const r = await restart();
      times.push(r.ms);
      if (r.after.length === INSTANCES && r.after.every((p) => !r.before.includes(p))) replaced++;
      const at = load.requests;
      await until(() => load.requests >= at + 50, 'requests after the switch');
    }
  } finally {
    res = await load.stop();
  }
  log(`${label}: ${res.requests} requests, ${res.failed} failed ${JSON.stringify(res.reasons)}, replaced ${replaced}/${n}`);
  return { requests: res.requests, failed: res.failed, reasons: res.reasons, replaced, times };
}

// `root`: this tree, or the --baseline one (its supervisor, the same app and load).
async function taskdaemonSupervised(ctx, n, log, root = ctx.root, label = 'taskdaemon') {
  const L = ctx.launchers.prompt;
  const env = { ...ctx.env, BENCH_TASKDAEMON: root };
  const cli = [ctx.node, path.join(root, 'bin', 'taskdaemon.js')];
  const pidfile = path.join(ctx.dir, 'bench-sup.pid');
  const port = await freePort();
  const app = path.join(ctx.root, 'bench', 'fixture', 'drain-app.js');
  await L.run([...cli, 'start', app, '--name', 'bench-sup', '--pidfile', pidfile, '--stdout', path.join(ctx.dir, 'bench-sup.log'), '--no-state-file',
    '--pass-env', 'BENCH_TASKDAEMON', '--restart', 'on-failure', '--instances', String(INSTANCES), '--listen', `tcp:127.0.0.1:${port}`], { env });
  const sup = ctx.pids.add(readPid(pidfile));
  const instances = async () => {
    const r = await L.run([...cli, 'status', '--pidfile', pidfile, '--json'], { env });
    return JSON.parse(r.out).daemon.supervisor.instances.map((i) => ctx.pids.add(i.pid));
  };
  try {
    let current = await instances();
    await sleep(MEMORY_SETTLE_MS);
    const memBefore = { supervisor: memory(sup), instance: memory(current[0]) };
    const run = await underLoad(port, n, async () => {
      const before = current;
      const r = await L.run([...cli, 'restart', 'bench-sup', '--pidfile', pidfile, '--graceful'], { env });
      current = [...r.out.matchAll(/pid \d+ -> (\d+)/g)].map((m) => ctx.pids.add(Number(m[1])));
      return { ms: r.ms, before, after: current };
    }, log, `${label} restart --graceful`);
    await sleep(MEMORY_SETTLE_MS);
    return { ...run, memory: { ...memBefore, supervisorAfter: memory(sup) } };
  } finally {
    await L.run([...cli, 'stop', '--pidfile', pidfile], { env, okCodes: [0, 1] });
  }
}

async function pm2Cluster(ctx, n, log) {
  const L = ctx.launchers.prompt;
  const port = await freePort();
  const env = { ...ctx.env, PM2_HOME: path.join(ctx.dir, 'pm2-home'), PORT: String(port) };
  const pm2 = (...argv) => [ctx.node, ctx.peers.pm2, ...argv];
  const app = path.join(ctx.root, 'bench', 'fixture', 'drain-app.js');
  // --kill-timeout as taskdaemon's --grace (pm2's 1.6 s default would SIGKILL a slow drain).
  await L.run(pm2('start', app, '--name', 'bench-cluster', '-i', String(INSTANCES), '--wait-ready', '--listen-timeout', '30000', '--kill-timeout', '30000'), { env });
  const god = ctx.pids.add(readPid(path.join(env.PM2_HOME, 'pm2.pid')));
  const workers = async () => {
    const r = await L.run(pm2('jlist'), { env });
    const list = JSON.parse(r.out.slice(r.out.indexOf('[')));
    return list.filter((p) => p.name === 'bench-cluster' && p.pid > 0).map((p) => ctx.pids.add(p.pid));
  };
  try {
    let current = await workers();
    if (current.length !== INSTANCES) throw new Error(`pm2 runs ${current.length} workers, not ${INSTANCES}`);
    await sleep(MEMORY_SETTLE_MS);
    const memBefore = { supervisor: memory(god), instance: memory(current[0]) };
    const run = await underLoad(port, n, async () => {
      const before = current;
      const r = await L.run(pm2('reload', 'bench-cluster'), { env });
      current = await workers();
      return { ms: r.ms, before, after: current };
    }, log, 'pm2 reload (cluster mode)');
    await sleep(MEMORY_SETTLE_MS);
    return { ...run, memory: { ...memBefore, supervisorAfter: memory(god) } };
  } finally {
    await L.run(pm2('delete', 'bench-cluster'), { env, okCodes: [0, 1] });
  }
}

export async function superviseSection(ctx, log) {
  const n = ctx.opts.restarts;
  log(`supervise: ${n} graceful restarts of ${INSTANCES} instances under load, taskdaemon then pm2`);
  const taskdaemon = await taskdaemonSupervised(ctx, n, log);
  const baseline = ctx.opts.baseline ? await taskdaemonSupervised(ctx, n, log, ctx.opts.baseline, 'baseline taskdaemon') : null;
  const pm2 = fs.existsSync(ctx.peers.pm2) && !ctx.opts.noPeers ? await pm2Cluster(ctx, n, log) : null;
  return { n, instances: INSTANCES, taskdaemon, baseline, pm2 };
}
