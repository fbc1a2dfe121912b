#!/usr/bin/env node
// Start/stop latency and memory of taskdaemon next to its floor and a peer.
//
// Measures, interleaved per iteration (floor, taskdaemon, ssd, ssd-notify,
// plain) so machine noise hits every variant alike:
//   floor       one bare node boot: `node -e 0`
//   taskdaemon  `taskdaemon start` → exit (ready), then `taskdaemon stop` → exit
//   ssd         start-stop-daemon --background around a plain node HTTP app:
//               start returns before the app is ready, so the time until the
//               port answers is reported too; stop is `--stop --retry ...`
//   ssd-notify  the same with --notify-await (the app runs `systemd-notify`)
//   plain       `node app.js` directly: time until the port answers, and RSS
// For every daemon: when its port first answers (TCP connect polled every
// 5 ms from spawn), when the process has exited after a stop (/proc polled
// every 5 ms), and VmRSS shortly after ready. Reports median, p90 and the
// ratio of the median to the floor's median. Prints only; writes no files
// outside a temp dir that it removes.
//
// Usage: node bench/start-stop.mjs [--iterations N] [--warmup N] [--unset-extra-ca]

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin/taskdaemon.js');
const EXAMPLE = path.join(ROOT, 'examples/http-server.js');
const NODE = fs.realpathSync(process.execPath); // ssd --exec compares the real binary path
const POLL_MS = 5;
const CMD_TIMEOUT_MS = 15_000;
const RSS_SETTLE_MS = 100; // read RSS a fixed time after ready so every variant is caught at the same point

// The plain app for start-stop-daemon and the direct run: no taskdaemon code.
// Node cannot send AF_UNIX datagrams, so under --notify-await it asks
// systemd-notify to send READY=1 (--no-block: systemd ≥ 250 otherwise waits
// for a barrier reply that start-stop-daemon never sends, and exits 1).
const PLAIN_APP = `'use strict';
const http = require('node:http');
const { execFile } = require('node:child_process');
const port = Number(process.argv[2]);
const server = http.createServer((req, res) => res.end('ok\\n'));
server.listen(port, '127.0.0.1', () => {
  if (process.env.NOTIFY_SOCKET) execFile('systemd-notify', ['--ready', '--no-block'], () => {});
});
process.on('SIGTERM', () => { server.closeIdleConnections(); server.close(); });
`;

// ---------------------------------------------------------------- helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

function parseArgs(argv) {
  const opts = { iterations: 10, warmup: 1, unsetExtraCa: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--iterations' || a === '--warmup') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < (a === '--warmup' ? 0 : 1)) throw new Error(`${a} needs a whole number`);
      opts[a.slice(2)] = n;
    } else if (a === '--unset-extra-ca') opts.unsetExtraCa = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node bench/start-stop.mjs [--iterations N] [--warmup N] [--unset-extra-ca]');
      process.exit(0);
    } else throw new Error(`unknown argument '${a}'`);
  }
  return opts;
}

/** Runs a command to completion; resolves with its wall time (spawn → exit) and output. */
function run(cmd, args, { env, okCodes = [0] } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    // stdout/stderr piped, but we time 'exit', not 'close': a daemon may inherit the pipes.
    // detached (own session): a terminal's Ctrl-C reaches only us, and we finish the step cleanly
    const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), CMD_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const ms = now() - t0;
      clearTimeout(timer);
      if (okCodes.includes(code)) resolve({ ms, out });
      else reject(new Error(`${path.basename(cmd)} ${args.join(' ')} → ${code ?? signal}\n${out}`));
    });
  });
}

function tryConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Polls the port every POLL_MS from t0 until it accepts; resolves with ms since t0. */
async function waitForPort(port, t0, deadlineMs = CMD_TIMEOUT_MS) {
  while (now() - t0 < deadlineMs) {
    if (await tryConnect(port)) return now() - t0;
    await sleep(POLL_MS);
  }
  throw new Error(`port ${port} never answered`);
}

/** 'run' | 'zombie' | 'gone' — a zombie has exited but still passes kill(pid, 0). */
function procState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z' ? 'zombie' : 'run';
  } catch {
    return 'gone';
  }
}

/** Polls until pid has exited (zombie or gone); resolves with ms since t0. */
async function waitForExit(pid, t0, deadlineMs = 40_000) {
  while (procState(pid) === 'run') {
    if (now() - t0 > deadlineMs) throw new Error(`pid ${pid} did not exit`);
    await sleep(POLL_MS);
  }
  return now() - t0;
}

function readPid(file) {
  const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
  if (!(pid > 0)) throw new Error(`no pid in ${file}`);
  return pid;
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// Memory only this process holds (anonymous and private pages); RSS also counts
// the node binary's shared, clean code pages, which every node process shares.
function privateMb(pid) {
  const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? NaN);
  return (kb('Private_Clean') + kb('Private_Dirty')) / 1024;
}

async function assertPortFree(port) {
  if (await tryConnect(port)) throw new Error(`port ${port} already answers: a stray server?`);
}

/** Asks the kernel for `n` distinct free ports on 127.0.0.1. */
async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

// ---------------------------------------------------------------- stats

function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q; // linear interpolation between closest ranks
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (pos - lo);
}

function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p90: quantile(s, 0.9) };
}

// ---------------------------------------------------------------- variants

/** Every daemon pid we ever started, so cleanup can find leftovers. */
const started = new Set();

function track(pid) {
  started.add(pid);
  return pid;
}

/** Awaits `ready`, then reads and tracks the pid in `pidfile` (tracked even when `ready` failed). */
async function trackedPid(pidfile, ready) {
  try {
    await ready;
  } finally {
    if (fs.existsSync(pidfile)) track(readPid(pidfile));
  }
  return readPid(pidfile);
}

/** Starts a poll now and awaits it later; a failure before then must not become an unhandled rejection. */
function later(promise) {
  promise.catch(() => {});
  return promise;
}

async function measureRss(pid) {
  await sleep(RSS_SETTLE_MS);
  return { rss: rssMb(pid), priv: privateMb(pid) };
}

function makeVariants(ctx) {
  const { dir, ports, env, ssd, notify } = ctx;
  const plainApp = path.join(dir, 'plain-app.js');

  const floor = async () => ({ start: (await run(NODE, ['-e', '0'], { env })).ms });

  const taskdaemon = async () => {
    const pidfile = path.join(dir, 'td.pid');
    const port = ports.taskdaemon;
    await assertPortFree(port);
    const t0 = now();
    const portP = later(waitForPort(port, t0));
    const start = run(NODE, [CLI, 'start', EXAMPLE, '--name', 'bench-td', '--pidfile', pidfile,
      '--stdout', path.join(dir, 'td.log'), '--', '--port', String(port)], { env });
    const pid = await trackedPid(pidfile, Promise.all([start, portP]));
    const r = { start: (await start).ms, port: await portP, ...(await measureRss(pid)) };
    const s0 = now();
    const exitP = later(waitForExit(pid, s0));
    r.stop = (await run(NODE, [CLI, 'stop', '--pidfile', pidfile], { env })).ms;
    r.exited = await exitP;
    return r;
  };

  const ssdVariant = (name, extra) => async () => {
    const pidfile = path.join(dir, `${name}.pid`);
    const port = ports[name];
    await assertPortFree(port);
    const t0 = now();
    const portP = later(waitForPort(port, t0));
    // ssd --background exits before its grandchild writes the pidfile: read it once the port answers
    const start = run(ssd, ['--start', '--background', ...extra, '--make-pidfile', '--pidfile', pidfile,
      '--exec', NODE, '--', plainApp, String(port)], { env });
    const pid = await trackedPid(pidfile, Promise.all([start, portP]));
    const r = { start: (await start).ms, port: await portP, ...(await measureRss(pid)) };
    const s0 = now();
    const exitP = later(waitForExit(pid, s0));
    r.stop = (await run(ssd, ['--stop', '--pidfile', pidfile, '--retry', 'TERM/30/KILL/5', '--remove-pidfile'], { env })).ms;
    r.exited = await exitP;
    return r;
  };

  const plain = async () => {
    const port = ports.plain;
    await assertPortFree(port);
    const t0 = now();
    const child = spawn(NODE, [plainApp, String(port)], { env, detached: true, stdio: 'ignore' });
    track(child.pid);
    const exited = new Promise((r) => child.once('exit', r));
    const r = { port: await waitForPort(port, t0), ...(await measureRss(child.pid)) };
    child.kill('SIGTERM');
    await exited;
    return r;
  };

  const variants = [['floor', floor], ['taskdaemon', taskdaemon]];
  if (ssd) variants.push(['ssd', ssdVariant('ssd', [])]);
  if (ssd && notify) variants.push(['ssd-notify', ssdVariant('ssd-notify', ['--notify-await', '--notify-timeout', '10'])]);
  variants.push(['plain', plain]);
  return variants;
}

// ---------------------------------------------------------------- cleanup

/** Kills every daemon still running that we started or that a pidfile of ours names. */
function killLeftovers(dir) {
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.pid'))) {
    try { track(readPid(path.join(dir, f))); } catch {}
  }
  const killed = [];
  for (const pid of started) {
    if (procState(pid) !== 'run') continue; // a zombie has exited already: only its parent can reap it
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {}
  }
  return killed;
}

// ---------------------------------------------------------------- report

const fmt = (x, w = 8) => (Number.isFinite(x) ? (x + 0).toFixed(1).replace(/^-(0\.0)$/, '$1') : '–').padStart(w);

function printHeader(opts, ctx) {
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  const caNote = opts.unsetExtraCa ? `unset for the children (was ${ca ?? 'unset'})`
    : ca ? `SET (${ca}): every node start pays for it` : 'unset';
  console.log(`taskdaemon start/stop bench — ${new Date().toISOString()}`);
  console.log(`node ${process.version} (${NODE}), ${os.cpus().length} cpus, ${os.release()}`);
  console.log(`NODE_EXTRA_CA_CERTS: ${caNote}`);
  console.log(`iterations: ${opts.iterations} (+${opts.warmup} warm-up), interleaved: ${ctx.order.join(' → ')}`);
  for (const s of ctx.skipped) console.log(`skipped: ${s}`);
  console.log('');
}

function printTable(rows, floorMedian) {
  console.log(`${'measurement'.padEnd(44)}${'median'.padStart(8)}${'p90'.padStart(8)}${'×floor'.padStart(8)}   (ms)`);
  for (const [label, samples] of rows) {
    if (!samples || samples.length === 0) continue;
    const { median, p90 } = summarize(samples);
    console.log(`${label.padEnd(44)}${fmt(median)}${fmt(p90)}${fmt(median / floorMedian)}`);
  }
}

function printRss(res) {
  const med = (k, f) => (res[k]?.[f]?.length ? summarize(res[k][f]).median : NaN);
  console.log(`\n${'memory after ready (median, MB)'.padEnd(44)}${'VmRSS'.padStart(8)}${'Δ plain'.padStart(8)}${'private'.padStart(9)}${'Δ plain'.padStart(8)}`);
  for (const [k, label] of [['plain', 'plain app, `node app.js`'], ['taskdaemon', 'taskdaemon daemon (examples/http-server.js)'],
    ['ssd', 'plain app under start-stop-daemon']]) {
    if (res[k]?.rss?.length) {
      console.log(`${label.padEnd(44)}${fmt(med(k, 'rss'))}${fmt(med(k, 'rss') - med('plain', 'rss'))} ${fmt(med(k, 'priv'))}${fmt(med(k, 'priv') - med('plain', 'priv'))}`);
    }
  }
}

function report(res) {
  const floor = summarize(res.floor.start).median;
  const S = (k, f) => res[k]?.[f];
  printTable([
    ['floor: node -e 0', S('floor', 'start')],
    ['taskdaemon start → exit (ready)', S('taskdaemon', 'start')],
    ['taskdaemon   port answers (from spawn)', S('taskdaemon', 'port')],
    ['taskdaemon stop → exit', S('taskdaemon', 'stop')],
    ['taskdaemon   app exited (from stop spawn)', S('taskdaemon', 'exited')],
    ['ssd --start --background → exit', S('ssd', 'start')],
    ['ssd          port answers (from spawn)', S('ssd', 'port')],
    ['ssd --stop --retry TERM/30/KILL/5 → exit', S('ssd', 'stop')],
    ['ssd          app exited (from stop spawn)', S('ssd', 'exited')],
    ['ssd --notify-await start → exit', S('ssd-notify', 'start')],
    ['ssd-notify   port answers (from spawn)', S('ssd-notify', 'port')],
    ['ssd-notify --stop --retry → exit', S('ssd-notify', 'stop')],
    ['ssd-notify   app exited (from stop spawn)', S('ssd-notify', 'exited')],
    ['plain node app.js → port answers', S('plain', 'port')],
  ], floor);
  const td = summarize(res.taskdaemon.start).median;
  console.log(`\ntaskdaemon start − 2 × floor (two node boots) = ${(td - 2 * floor).toFixed(1)} ms`);
  printRss(res);
}

// ---------------------------------------------------------------- main

function setup(opts) {
  if (!fs.existsSync(path.join(ROOT, 'dist/cli/main.js'))) {
    throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` first');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskdaemon-bench-'));
  fs.writeFileSync(path.join(dir, 'plain-app.js'), PLAIN_APP);
  const env = { ...process.env };
  if (opts.unsetExtraCa) delete env.NODE_EXTRA_CA_CERTS;
  delete env.NOTIFY_SOCKET; // only ssd --notify-await should hand the app one
  const skipped = [];
  const ssd = which('start-stop-daemon');
  if (!ssd) skipped.push('start-stop-daemon variants: start-stop-daemon not found');
  const ssdHelp = ssd ? spawnSync(ssd, ['--help'], { encoding: 'utf8' }).stdout : '';
  const notify = ssd && ssdHelp.includes('--notify-await') && which('systemd-notify');
  if (ssd && !notify) skipped.push('ssd-notify: needs start-stop-daemon --notify-await and systemd-notify');
  return { dir, env, ssd, notify: Boolean(notify), skipped };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const ctx = setup(opts);
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) { killLeftovers(ctx.dir); fs.rmSync(ctx.dir, { recursive: true, force: true }); process.exit(130); }
    interrupted = true; // first signal: let the current step stop its daemon, then clean up
    console.error('interrupted: finishing the current step, then cleaning up (again to force)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const [taskdaemon, ssd, ssdNotify, plain] = await freePorts(4);
    ctx.ports = { taskdaemon, ssd, 'ssd-notify': ssdNotify, plain };
    const variants = makeVariants(ctx);
    ctx.order = variants.map(([name]) => name);
    printHeader(opts, ctx);
    const res = Object.fromEntries(variants.map(([name]) => [name, {}]));
    for (let i = 0; i < opts.warmup + opts.iterations; i++) {
      for (const [name, fn] of variants) {
        const r = await fn();
        if (interrupted) throw new Error('interrupted');
        if (i < opts.warmup) continue;
        for (const [k, v] of Object.entries(r)) (res[name][k] ??= []).push(v);
      }
    }
    report(res);
  } finally {
    const killed = killLeftovers(ctx.dir);
    fs.rmSync(ctx.dir, { recursive: true, force: true });
    if (killed.length) console.error(`cleanup: killed leftover pid(s) ${killed.join(', ')}`);
  }
}

main().catch((err) => {
  console.error(err.message === 'interrupted' ? 'bench interrupted' : `bench failed: ${err.stack ?? err}`);
  process.exitCode = err.message === 'interrupted' ? 130 : 1;
});
