// Puts the bench, and so everything it starts, into its own CPU cgroup with a
// large weight, so the builds and tests of others on this 2-core machine
// disturb the figures less. nice(2) does not do it here: with autogroups
// (sched_autogroup_enabled) every new session, and every daemon is one, gets
// its own equal share whatever its nice value; a task in a cgroup other than
// the root is outside autogrouping. Every contender is inside alike.
// See: man 7 sched (autogroup), man 7 cgroups
import fs from 'node:fs';
import path from 'node:path';

const V1 = '/sys/fs/cgroup/cpu';
const V2 = '/sys/fs/cgroup';

function hierarchy() {
  if (fs.existsSync(path.join(V1, 'cpu.shares'))) return { root: V1, file: 'cpu.shares', max: 262144 };
  try {
    if (fs.readFileSync(path.join(V2, 'cgroup.subtree_control'), 'utf8').includes('cpu')) return { root: V2, file: 'cpu.weight', max: 10000 };
  } catch {}
  return null;
}

/**
 * weight: fraction of the maximum (0 turns it off). Returns { note, release() }:
 * release() moves this process back and removes the group once it is empty.
 */
export function boostCpu(fraction) {
  const h = fraction > 0 ? hierarchy() : null;
  if (!h) return { note: fraction > 0 ? 'no CPU cgroup controller here: normal priority' : 'normal priority (--cpu-boost 0)', release() {} };
  const group = path.join(h.root, `taskdaemon-bench-${process.pid}`);
  const value = Math.round(h.max * fraction);
  try {
    fs.mkdirSync(group);
    fs.writeFileSync(path.join(group, h.file), String(value));
    fs.writeFileSync(path.join(group, 'cgroup.procs'), String(process.pid));
  } catch (e) {
    try {
      fs.rmdirSync(group);
    } catch {}
    return { note: `cannot make a CPU cgroup (${e.code ?? e.message}): normal priority`, release() {} };
  }
  return {
    note: `in CPU cgroup ${group} with ${h.file} ${value} (the machine's default is ${h.file === 'cpu.shares' ? 1024 : 100})`,
    release() {
      fs.writeFileSync(path.join(h.root, 'cgroup.procs'), String(process.pid));
      // The launchers may still be exiting: the group empties within moments.
      for (let i = 0; ; i++) {
        try {
          return fs.rmdirSync(group);
        } catch (e) {
          if (e.code !== 'EBUSY' || i === 100) return process.stderr.write(`bench: could not remove ${group}: ${e.message}\n`);
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    },
  };
}
