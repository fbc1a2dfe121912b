// Runs on an arm64 node under qemu-user (scripts/check-arm64.sh sets that up):
// the addon's cases (test/unit/native-cases.cjs) on the arm64 prebuild as the
// installed package loads it, then a real daemon started, reloaded and stopped
// with the installed CLI, and a supervised one (the arm64 native supervisor
// shipped beside the addon) that restarts its killed instance. Plain node, no vitest: vitest's native parts have no
// arm64 build here, and every node start costs seconds under emulation.
// Usage: node check.js APP_DIR   (APP_DIR has node_modules/taskdaemon installed)
'use strict';
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const app = path.resolve(process.argv[2]);
const pkg = path.join(app, 'node_modules', 'taskdaemon');
const cli = path.join(pkg, 'bin', 'taskdaemon.js');
const results = { passed: 0, failed: 0 };

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.passed++;
    console.log(`  ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.failed++;
    console.log(`  FAIL ${name}\n${String(e.stack || e).replace(/^/gm, '       ')}`);
  }
}

// The installed CLI on this (arm64) node; each command bounded, since emulated node starts are slow.
function td(...args) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: app, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return r;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function main() {
  console.log(`arm64 check: node ${process.version} ${process.platform}-${process.arch}, package ${pkg}`);
  assert.equal(process.arch, 'arm64', 'this check must run on an arm64 node');

  let n;
  await check('the installed package loads the linux-arm64 prebuild', () => {
    n = require(path.join(pkg, 'dist', 'native.js')).native();
    const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
    assert.deepEqual(loaded, [path.join(pkg, 'prebuilds', 'linux-arm64', 'taskdaemon.glibc.node')]);
  });
  for (const [name, run] of require('../unit/native-cases.cjs')) await check(name, () => run(n));

  const pidfile = path.join(app, 'worker.pid');
  const log = path.join(app, 'worker.log');
  fs.writeFileSync(
    path.join(app, 'worker.js'),
    `const { defineDaemon } = require('taskdaemon');
module.exports = defineDaemon({
  init() { console.log('worker on', process.arch); },
  reload() { console.log('reloaded on', process.arch); },
  run: (ctx) => new Promise((r) => ctx.signal.addEventListener('abort', r)),
});
`,
  );
  let pid = null;
  try {
    await check('start: a real daemon, forked and exec-ed by the arm64 addon', () => {
      // The daemon's environment is clean (README, "The daemon's environment"): qemu's
      // loader prefix reaches it only when passed on by name.
      const r = td('start', 'worker.js', '--pidfile', pidfile, '--stdout', log, '--no-state-file', '--pass-env', 'QEMU_LD_PREFIX');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^started worker \(pid \d+\)\n$/);
      pid = Number(fs.readFileSync(pidfile, 'utf8'));
      assert.ok(alive(pid), `pid ${pid} is not alive`);
      assert.match(fs.readFileSync(log, 'utf8'), /worker on arm64/);
    });
    await check('status: running, phase ready', () => {
      const r = td('status', '--pidfile', pidfile);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /phase ready/);
    });
    await check('reload: SIGHUP reaches the reload hook', () => {
      const r = td('reload', '--pidfile', pidfile);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(fs.readFileSync(log, 'utf8'), /reloaded on arm64/);
    });
    await check('stop: the daemon exits and its pidfile is gone', () => {
      const r = td('stop', '--pidfile', pidfile);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(pid !== null && !alive(pid), `pid ${pid} still alive`);
      assert.ok(!fs.existsSync(pidfile), 'pidfile left behind');
    });
  } finally {
    if (pid !== null && alive(pid)) process.kill(pid, 'SIGKILL');
  }

  // The native supervisor shipped beside the addon (prebuilds/linux-arm64/taskdaemon-supervisor).
  const supPidfile = path.join(app, 'sup.pid');
  const supLog = path.join(app, 'sup.log');
  let sup = null;
  try {
    await check('start --restart: the arm64 native supervisor runs the program as its instance', () => {
      const r = td('start', 'worker.js', '--name', 'sup', '--pidfile', supPidfile, '--stdout', supLog, '--no-state-file', '--restart', 'on-failure', '--pass-env', 'QEMU_LD_PREFIX');
      assert.equal(r.status, 0, r.stderr);
      sup = Number(fs.readFileSync(supPidfile, 'utf8'));
      const argv0 = fs.readFileSync(`/proc/${sup}/cmdline`, 'utf8').split('\0').find((a) => a.endsWith('taskdaemon-supervisor'));
      assert.equal(argv0, path.join(pkg, 'prebuilds', 'linux-arm64', 'taskdaemon-supervisor'));
      assert.match(fs.readFileSync(supLog, 'utf8'), /worker on arm64/);
    });
    await check('kill -9 of the instance: the supervisor starts it again; stop ends both', async () => {
      const report = () => JSON.parse(td('status', '--pidfile', supPidfile, '--json').stdout).daemon.supervisor;
      const first = report().instances[0].pid;
      process.kill(first, 'SIGKILL');
      const deadline = Date.now() + 60_000;
      while (!/ instance-ready instance 1 pid \d+/.test(fs.readFileSync(supLog, 'utf8'))) {
        assert.ok(Date.now() < deadline, 'no restarted instance within 60 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      const now = report().instances[0];
      assert.equal(now.restarts, 1);
      assert.notEqual(now.pid, first);
      const r = td('stop', '--pidfile', supPidfile);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(!alive(sup) && !alive(now.pid), 'supervisor or instance still alive');
      assert.ok(!fs.existsSync(supPidfile), 'pidfile left behind');
    });
  } finally {
    if (sup !== null && alive(sup)) process.kill(sup, 'SIGKILL');
  }
  console.log(`arm64: ${results.passed} passed, ${results.failed} failed`);
  process.exitCode = results.failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
