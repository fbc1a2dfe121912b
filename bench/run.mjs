#!/usr/bin/env node
// `npm run bench`: taskdaemon side by side with its peers on one fixture app,
// in one run, every contender alternating with the others. Installs or finds
// the peers (bench/lib/peers.mjs), runs every section, writes
// bench/RESULTS.md and prints a summary for the README. See bench/README.md.
//
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cliSection } from './lib/cli-startup.mjs';
import { controlSection } from './lib/control.mjs';
import { boostCpu } from './lib/cpu-boost.mjs';
import { Launcher } from './lib/launcher.mjs';
import { ensurePeers } from './lib/peers.mjs';
import { PidTracker } from './lib/proc.mjs';
import { resultsMarkdown, summaryMarkdown } from './lib/report.mjs';
import { scaleSection } from './lib/scale.mjs';
import { startStopSection } from './lib/start-stop.mjs';
import { superviseSection } from './lib/supervise.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const SECTIONS = ['start', 'cli', 'control', 'scale', 'supervise'];
const USAGE = `usage: npm run bench -- [--quick] [--only start,cli,control,scale,supervise] [--iterations N]
         [--cli-iterations N] [--warmup N] [--scale N] [--restarts N] [--baseline DIR] [--out FILE] [--json FILE]
  --quick      a few iterations, scale 10, 3 restarts; prints the results instead of writing bench/RESULTS.md
  --restarts   supervise section: graceful restarts under load per contender (default 20)
  --baseline   another checkout (built) to run beside this one: before/after in the same run
  --no-peers   start/stop section: only the floor, the bare app and taskdaemon (for iterating)
  --node PATH  the node binary every contender runs on (default: the one running the bench)
  --cpu-boost F  run the bench and all it starts in a CPU cgroup with F of the maximum
               weight (default 0.4; 0: off), so others' builds disturb the figures less
  --json       also write the raw samples`;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      iterations: { type: 'string' },
      'cli-iterations': { type: 'string' },
      warmup: { type: 'string' },
      scale: { type: 'string' },
      restarts: { type: 'string' },
      baseline: { type: 'string' },
      node: { type: 'string' },
      'no-peers': { type: 'boolean', default: false },
      out: { type: 'string' },
      'cpu-boost': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name, dflt, min = 1) => {
    if (values[name] === undefined) return dflt;
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} needs a whole number ≥ ${min}`);
    return n;
  };
  const cpuBoost = values['cpu-boost'] === undefined ? 0.4 : Number(values['cpu-boost']);
  if (!(cpuBoost >= 0 && cpuBoost <= 1)) throw new Error('--cpu-boost needs a number from 0 to 1');
  const q = values.quick;
  const only = values.only ? values.only.split(',') : SECTIONS;
  for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section '${s}' (${SECTIONS.join(', ')})`);
  const baseline = values.baseline ? path.resolve(values.baseline) : null;
  if (baseline && !fs.existsSync(path.join(baseline, 'bin', 'taskdaemon.js'))) throw new Error(`--baseline ${baseline}: no bin/taskdaemon.js there`);
  return {
    quick: q,
    only,
    iterations: int('iterations', q ? 3 : 20),
    cliIterations: int('cli-iterations', q ? 5 : 40),
    warmup: int('warmup', 1, 0),
    scale: int('scale', q ? 10 : 100),
    restarts: int('restarts', q ? 3 : 20),
    baseline,
    noPeers: values['no-peers'],
    node: values.node ? fs.realpathSync(values.node) : fs.realpathSync(process.execPath),
    cpuBoost,
    out: values.out ?? (q ? null : path.join(BENCH, 'RESULTS.md')),
    json: values.json ?? null,
  };
}

function describeTree(root) {
  const r = spawnSync('git', ['-C', root, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout.trim();
  return `${r.stdout.trim() || root}${dirty ? ' (with uncommitted changes)' : ''}`;
}

const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Samples the 1-minute load average every 2 s while the bench runs. */
function loadSampler() {
  const samples = [];
  const timer = setInterval(() => samples.push(os.loadavg()[0]), 2000);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (!samples.length) return 'no samples';
    const s = [...samples].sort((a, b) => a - b);
    return `1-minute load during the run: min ${s[0].toFixed(2)}, median ${s[Math.floor(s.length / 2)].toFixed(2)}, max ${s.at(-1).toFixed(2)} on ${os.cpus().length} cores (other engineers' builds and tests shared the machine when this is above ~1)`;
  };
}

async function main() {
  const opts = options();
  const log = (s) => process.stderr.write(`bench: ${s}\n`);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const peers = ensurePeers(path.join(BENCH, '.peers'), log);
  // Measured without NODE_EXTRA_CA_CERTS: with it every node start reads a CA bundle (~55 ms here, DESIGN.md §7).
  // The peers were installed above with it, since npm may need it to reach the registry.
  const env = { ...process.env };
  const extraCa = env.NODE_EXTRA_CA_CERTS;
  for (const k of ['NODE_EXTRA_CA_CERTS', 'NOTIFY_SOCKET', 'NODE_OPTIONS', 'PM2_HOME', 'TASKDAEMON_CONFIG']) delete env[k];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskdaemon-bench-'));
  const pids = new PidTracker();
  const ctx = {
    opts,
    root: ROOT,
    baseline: opts.baseline,
    node: opts.node, // a real path: start-stop-daemon --exec compares the binary
    app: path.join(BENCH, 'fixture', 'app.js'),
    npmDaemonLauncher: path.join(BENCH, 'fixture', 'npm-daemon.js'),
    env,
    dir,
    peers,
    pids,
  };
  const pm2Home = path.join(dir, 'pm2-home');
  const cleanup = () => {
    spawnSync(ctx.node, [peers.pm2, 'kill'], { env: { ...env, PM2_HOME: pm2Home }, stdio: 'ignore', timeout: 20_000 });
    const killed = pids.killLeftovers();
    if (killed.length) log(`cleanup: killed leftover pid(s) ${killed.join(', ')}`);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Children inherit it: every contender runs at the same priority.
  const boost = boostCpu(opts.cpuBoost);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      log(`${sig}: cleaning up`);
      for (const L of Object.values(ctx.launchers ?? {})) L.proc.kill('SIGKILL');
      cleanup();
      boost.release();
      process.exit(128 + os.constants.signals[sig]);
    });
  }
  const loadBefore = loadavg();
  const stopSampling = loadSampler();
  const results = {};
  try {
    ctx.launchers = {
      prompt: await Launcher.open({ python: peers.python, subreaper: true, dir }),
      pid1: await Launcher.open({ python: peers.python, subreaper: false, dir }),
    };
    if (opts.only.includes('start')) results.startStop = await startStopSection(ctx, log);
    if (opts.only.includes('cli')) results.cli = await cliSection(ctx, log);
    if (opts.only.includes('control')) results.control = await controlSection(ctx, log);
    if (opts.only.includes('scale')) results.scale = await scaleSection(ctx, log);
    if (opts.only.includes('supervise')) results.supervise = await superviseSection(ctx, log);
  } finally {
    for (const L of Object.values(ctx.launchers ?? {})) await L.close();
    cleanup();
    boost.release();
  }
  const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.arch();
  results.meta = {
    quick: opts.quick,
    priority: boost.note,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu,
    cores: os.cpus().length,
    memGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    loadBefore,
    loadAfter: loadavg(),
    loadNote: stopSampling(),
    node: spawnSync(opts.node, ['--version'], { encoding: 'utf8' }).stdout.trim(),
    nodePath: ctx.node,
    taskdaemon: `${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version} at ${describeTree(ROOT)}`,
    baseline: opts.baseline ? describeTree(opts.baseline) : null,
    pm2: peers.pm2Version,
    daemon: peers.daemonVersion,
    ssd: peers.ssdVersion,
    extraCa: `unset for every measured process${extraCa ? ` (the caller had it set to ${extraCa}; the peers were installed with it)` : ' (it was not set)'}`,
    iterations: opts.iterations,
    warmup: opts.warmup,
    cliIterations: opts.cliIterations,
    scale: opts.scale,
    restarts: opts.restarts,
  };
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(results));
  if (opts.out) {
    fs.writeFileSync(opts.out, resultsMarkdown(results));
    log(`wrote ${path.relative(process.cwd(), opts.out)}`);
    console.log(summaryMarkdown(results));
  } else {
    console.log(resultsMarkdown(results));
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
  process.exitCode = 1;
});
