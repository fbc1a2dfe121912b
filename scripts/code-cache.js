#!/usr/bin/env node
'use strict';
// V8's code cache for the CLI bundles (dist/cli/main.js and one per command,
// main-NAME.js), for the node that runs this: at build time (npm run compile)
// and at install (scripts/install.js, for the installing node). Compiling a
// bundle is the largest part of what a command costs over `node -e 0`
// (bench/RESULTS.md); with the cache V8 deserializes instead of compiling.
// Node >= 22.1 has a compile cache of its own (bin/taskdaemon.js uses it for a
// node that has no cache of ours), but it holds only what a bundle compiles
// at load; this one also holds what a command runs (the warm-ups below):
// `status` and `stop` 4 ms faster on Node 24 than with node's own, paired runs.
// Written at build time, next to each bundle and as trusted as it, named for
// the node that made it (version and architecture: V8 checks its version but
// not the CPU, and an x64 cache loaded by an arm64 node crashes it); any other
// node compiles the bundle as usual. See: https://v8.dev/blog/code-caching-for-devs
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { execFileSync } = require('node:child_process');
const { createRequire, wrap } = require('node:module');

const CLI = path.join(__dirname, '..', 'dist', 'cli');

// Harmless runs of the bundle's own command in an empty temporary directory
// (nothing outside it is read or written), so the functions a command runs
// are compiled and cached too, not only its load: the quick parser, option
// resolution, the lock probe, the control call, the fork and the wait for
// readiness (on Node 20, paired runs: `status` 3 ms faster than a cache of
// its load only, 2 ms more asking a running daemon; `start` 3-4 ms). The
// commands that talk to a daemon run twice: once with none
// running, once against a real daemon that the package's own CLI started in
// that directory, of a program that is ready at once and stays 30 s at most
// (stop ends it; otherwise it is stopped before the directory goes). `start`
// and `restart` start one themselves, of a program that exits by itself once
// ready. `run` stops at its pidfile's missing directory (it would run in this
// very process). The whole CLI (main.js) serves what no command bundle does:
// help, a typo.
const BIN = path.join(__dirname, '..', 'bin', 'taskdaemon.js');
// Pidfiles in the warm-up's directory: one nothing runs with, one a started daemon (running()) holds.
const nonePidfile = (dir) => path.join(dir, 'none.pid');
const none = (dir) => ['--pidfile', nonePidfile(dir)];
const EXAMPLE = path.join(__dirname, '..', 'examples', 'http-server.js');
// A program that is ready as soon as it loads and then has nothing to do: its
// daemon reports READY=1 and exits by itself (idle-exit), removing its pidfile.
function plainProgram(dir) {
  const file = path.join(dir, 'warm-up.js');
  fs.writeFileSync(file, 'module.exports = {};\n');
  return file;
}
const runningPidfile = (dir) => path.join(dir, 'running.pid');
// A daemon to talk to, started in a process of its own: the flags that name it.
function running(dir) {
  const program = path.join(dir, 'running.js');
  fs.writeFileSync(program, 'setTimeout(() => {}, 30_000);\n');
  try {
    execFileSync(process.execPath, [BIN, 'start', program, '--pidfile', runningPidfile(dir), '--stdout', path.join(dir, 'log'), '--no-state-file'], { stdio: 'ignore', timeout: 30_000 });
  } catch {
    /* none could start here (no usable addon, a foreign node under qemu...): the command talks to none */
  }
  return ['--pidfile', runningPidfile(dir)];
}
const started = (dir) => [plainProgram(dir), ...none(dir), '--stdout', path.join(dir, 'log'), '--no-state-file'];
// Each: the command lines to run, in order (a function: the second may start a daemon only once the first ran).
const WARM_UP = {
  status: [(dir) => ['status', ...none(dir)], (dir) => ['status', ...running(dir)]],
  stop: [(dir) => ['stop', ...none(dir)], (dir) => ['stop', ...running(dir)]],
  reload: [(dir) => ['reload', ...none(dir)], (dir) => ['reload', ...running(dir)]],
  health: [(dir) => ['health', ...none(dir)], (dir) => ['health', ...running(dir)]],
  // Once naming the log (as logrotate's postrotate does), once asking the daemon for it.
  'reopen-logs': [(dir) => ['reopen-logs', ...none(dir)], (dir) => ['reopen-logs', ...running(dir), '--stdout', path.join(dir, 'log')], (dir) => ['reopen-logs', '--pidfile', runningPidfile(dir)]],
  call: [(dir) => ['call', ...none(dir), 'ping'], (dir) => ['call', ...running(dir), 'ping']],
  list: [(dir) => ['list', '--dir', dir], (dir) => (running(dir), ['list', '--dir', dir])],
  start: [(dir) => ['start', ...started(dir)]],
  restart: [(dir) => ['restart', ...started(dir)]],
  run: [(dir) => ['run', EXAMPLE, '--pidfile', path.join(dir, 'none', 'none.pid')]],
  install: [() => ['install', 'systemd', EXAMPLE]],
  config: [(dir) => ['config', 'check', EXAMPLE, ...none(dir)]],
  '': [() => ['--help']],
};

const only = process.argv[2];
// --if-missing (the install step): nothing when this node's caches are there already.
if (only === '--if-missing') {
  if (!fs.existsSync(CLI) || fs.existsSync(path.join(CLI, `main.js.${process.version}-${process.arch}.cache`))) process.exit(0);
}
if (only === undefined || only === '--if-missing') {
  // Each bundle in a process of its own: its cache must hold what that command compiles, nothing more.
  for (const name of fs.readdirSync(CLI).filter((f) => /^main(-[a-z-]+)?\.js$/.test(f))) {
    execFileSync(process.execPath, [__filename, name], { stdio: 'inherit', timeout: 60_000 });
  }
  process.exit(0);
}

const file = path.join(CLI, only);
const script = new vm.Script(wrap(fs.readFileSync(file, 'utf8')), { filename: file });
// Running the module body compiles what every command runs at load, so the cache holds it too.
const m = { exports: {} };
script.runInThisContext().call(m.exports, m.exports, createRequire(file), m, file, path.dirname(file));

const out = `${file}.${process.version}-${process.arch}.cache`;
const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'td-code-cache-'));
// Whatever happens (a warm-up that throws included), nothing is left: a daemon
// still running there (the commands that only talk to one) is stopped, the one
// a start warm-up made (it exits by itself right after READY=1 and removes its
// pidfile) is waited for, at most 5 s, and the directory goes.
let cleaned = false;
const cleanUp = () => {
  if (cleaned) return;
  cleaned = true;
  if (fs.existsSync(runningPidfile(dir))) {
    try {
      execFileSync(process.execPath, [BIN, 'stop', '--pidfile', runningPidfile(dir)], { stdio: 'ignore', timeout: 30_000 });
    } catch {
      /* it ends by itself within 30 s */
    }
  }
  const until = Date.now() + 5_000;
  while (fs.existsSync(nonePidfile(dir)) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  fs.rmSync(dir, { recursive: true, force: true });
};
// Before any listener the CLI adds (its last one ends the process with _exit).
process.on('exit', cleanUp);
let written = false;
const write = () => {
  if (written) return;
  written = true;
  cleanUp();
  // Renamed into place: a command starting meanwhile reads the old cache or the new one, never half of one.
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, script.createCachedData());
  fs.renameSync(tmp, out);
};
// main-NAME.js runs NAME; main.js prints the help (commander, as for a typo).
const runs = WARM_UP[/^main-(.+)\.js$/.exec(only)?.[1] ?? ''];
if (!runs) {
  write();
  process.exit(0);
}
// Only the flags above: no TASKDAEMON_* variable of the caller's takes part (nor reaches the daemons started).
for (const k of Object.keys(process.env)) if (k.startsWith('TASKDAEMON_')) delete process.env[k];
// Their output is muted, and the last one's process.exit() is where the cache is written.
const exit = process.exit;
const writeSync = fs.writeSync;
// The CLI writes with fs.writeSync(1|2, ...) (src/cli/output.ts): those are muted, nothing else.
fs.writeSync = (fd, ...rest) => (fd === 1 || fd === 2 ? Buffer.byteLength(rest[0]) : writeSync(fd, ...rest));
const next = () => {
  const argv = runs.shift();
  if (!argv) {
    write();
    exit(0);
  }
  m.exports.main([process.execPath, 'taskdaemon', ...argv(dir)]);
};
process.exit = next;
process.on('beforeExit', write);
next();
