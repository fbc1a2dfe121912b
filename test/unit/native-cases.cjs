// The addon's own cases, in plain CommonJS with node:assert so the same cases
// run in vitest (test/unit/native.test.ts, on this machine's build) and under
// qemu with an arm64 node on the arm64 prebuild (test/arm64/check.js).
// Each case gets the loaded binding.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { EBADF, EINVAL, EWOULDBLOCK, ESRCH } = os.constants.errno;
// Written from native/steps.h by scripts/compile-steps.js (npm run compile).
const { SETUP_STEPS } = require('../../generated/steps.js');
const O_CLOEXEC = 0o2000000;
const hasFields = (actual, expected) => {
  for (const k of Object.keys(expected)) assert.equal(actual?.[k], expected[k], `${k} of ${JSON.stringify(actual)}`);
};
const fdFlags = (fd) => parseInt(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/flags:\s+(\d+)/)[1], 8);

module.exports = [
  [
    'flock on a bad fd is EBADF, not "already locked"',
    (n) => {
      assert.equal(n.flock(987654, n.LOCK_EX | n.LOCK_NB), -EBADF);
    },
  ],
  [
    'two open file descriptions of one file exclude each other',
    (n) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-unit-'));
      const file = path.join(dir, 'lock');
      const a = fs.openSync(file, 'w');
      const b = fs.openSync(file, 'r');
      try {
        assert.equal(n.flock(a, n.LOCK_EX | n.LOCK_NB), 0);
        assert.equal(n.flock(b, n.LOCK_SH | n.LOCK_NB), -EWOULDBLOCK);
        assert.equal(n.flock(a, n.LOCK_UN), 0);
        assert.equal(n.flock(b, n.LOCK_SH | n.LOCK_NB), 0);
      } finally {
        fs.closeSync(a);
        fs.closeSync(b);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  ],
  [
    'pipe() gives a close-on-exec pair, and setCloexec toggles the flag',
    (n) => {
      const p = n.pipe();
      assert.ok(Array.isArray(p), `pipe() returned ${p}`);
      const [r, w] = p;
      try {
        assert.equal(fdFlags(r) & O_CLOEXEC, O_CLOEXEC);
        assert.equal(n.setCloexec(w, false), 0);
        assert.equal(fdFlags(w) & O_CLOEXEC, 0);
        assert.equal(n.setCloexec(-1, true), -EBADF);
      } finally {
        fs.closeSync(r);
        fs.closeSync(w);
      }
    },
  ],
  [
    'pidfd: opens for a live pid, ESRCH for none, and waits with a timeout',
    async (n) => {
      const fd = n.pidfdOpen(process.pid);
      assert.ok(fd > 2, `pidfdOpen returned ${fd}`);
      try {
        assert.equal(await n.pidfdWait(fd, 10), 0); // we are alive: times out
        assert.equal(n.pidfdSendSignal(fd, 0), 0);
      } finally {
        fs.closeSync(fd);
      }
      assert.equal(n.pidfdOpen(0x3ffffff0), -ESRCH);
    },
  ],
  [
    'the setup steps compiled in are generated/steps.js, name and syscall, in order',
    (n) => {
      assert.deepEqual(
        n.setupSteps,
        SETUP_STEPS.map((s) => [s.name, s.syscall]),
      );
    },
  ],
  [
    'daemonize refuses a readable file whose step is not an open step of the list, before any fork',
    (n) => {
      const spec = (step) => ({ file: '/bin/true', cwd: '', argv: [], envp: [], keepFds: [], readable: [{ path: '/etc/hostname', step }] });
      for (const step of ['chdir', 'open(nothing)', '']) assert.deepEqual(n.daemonize(spec(step)), { errno: -EINVAL, syscall: 'daemonize' }, step);
    },
  ],
  [
    'looks up users and groups by name and id',
    (n) => {
      hasFields(n.lookupUser('root'), { name: 'root', uid: 0, gid: 0 });
      hasFields(n.lookupUser('0'), { name: 'root', uid: 0 });
      assert.equal(n.lookupUser('no-such-user-x'), null);
      hasFields(n.lookupGroup('root'), { name: 'root', gid: 0 });
      assert.equal(n.lookupGroup('no-such-group-x'), null);
      assert.ok(n.groupList('root', 0).includes(0));
    },
  ],
];
