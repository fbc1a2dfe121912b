// DESIGN.md §1: no JavaScript and no allocation between fork and exec. strace
// records every syscall the two cloned children make until execve; each one
// must be on the async-signal-safe list of the start sequence. A malloc would
// show up as brk/mmap, a lock as futex, an NSS lookup as openat.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRoot, nobodyReadable } from '../helpers/cli';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const hasStrace = spawnSync('strace', ['-V']).status === 0;
if (!hasStrace) console.warn('after-fork.test: skipped, strace is not installed');

const ALLOWED = new Set([
  'setsid', 'clone', 'write', 'exit_group', // intermediate child
  'rt_sigaction', 'umask', 'chdir', 'dup2', 'setgroups', 'setgid', 'setuid', 'fcntl',
  'getpid', 'ftruncate', 'pwrite64', 'fsync', 'close_range', 'close', 'rt_sigprocmask', 'execve',
  'prlimit64', 'setrlimit', 'setpriority', // --nofile/--core/--nice
  'openat', // only the boot script and the entry, checked below
  // npm run test:asan: the preloaded ASan runtime queries the signal stack
  // (sigaltstack(NULL, &old), async-signal-safe) in every new process.
  ...(process.env.TD_TEST_ADDON ? ['sigaltstack'] : []),
]);

let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

// pid -> syscall names in order, from `strace -f -o FILE` output.
function syscallsByPid(trace: string): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const line of trace.split('\n')) {
    const hit = /^(\d+)\s+([a-z_0-9]+)\(/.exec(line);
    if (!hit) continue;
    const pid = Number(hit[1]);
    if (!m.has(pid)) m.set(pid, []);
    m.get(pid)!.push(hit[2]!);
  }
  return m;
}

describe('between fork and exec', () => {
  it.skipIf(!hasStrace || !isRoot)('the children make only async-signal-safe syscalls, then execve node', () => {
    sb = sandbox();
    const trace = path.join(sb.dir, 'trace');
    // -b execve: detach from a process once it execs, so strace ends with the CLI.
    const pkg = nobodyReadable();
    const r = spawnSync('strace', ['-f', '-qq', '-b', 'execve', '-o', trace, pkg.node, pkg.bin, 'start', path.join(pkg.fixtures, 'probe.js'),
      ...sb.flags, '--user', 'nobody', '--group', 'nogroup', '--nofile', '2048', '--nice', '3', '--', sb.tag], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const text = fs.readFileSync(trace, 'utf8');
    const cli = Number(/^\d+/.exec(text)![0]); // strace's first line is the CLI's own execve
    const calls = syscallsByPid(text);
    // The forked children are the other processes that call setsid or execve (threads never do).
    const children = [...calls.entries()].filter(([pid, names]) => pid !== cli && (names.includes('setsid') || names.includes('execve')));
    expect(children).toHaveLength(2);
    const [intermediate, daemon] = children.sort(([a], [b]) => a - b);
    expect(intermediate![1]).toContain('setsid');
    expect(intermediate![1].at(-1)).toBe('exit_group');
    expect(daemon![0]).toBe(sb.readPid());
    expect(daemon![1].at(-1)).toBe('execve');
    // Neither child is a copy of the caller: each is a CLONE_VM|CLONE_VFORK clone
    // (no page tables copied from a node of 40 MB), the daemon cloned by the intermediate.
    const clones = (pid: number): string[] => [...text.matchAll(new RegExp(`^${pid}\\s+clone\\((.*)$`, 'gm'))].map((m) => m[1]!).filter((a) => !a.includes('CLONE_THREAD'));
    expect(clones(cli)).toHaveLength(1);
    expect(clones(cli)[0]).toMatch(/flags=CLONE_VM\|CLONE_VFORK\|SIGCHLD\b/);
    expect(clones(intermediate![0])).toHaveLength(1);
    expect(clones(intermediate![0])[0]).toMatch(/flags=CLONE_VM\|CLONE_VFORK\|SIGCHLD\b/);
    for (const [pid, names] of children) {
      const bad = names.filter((n) => !ALLOWED.has(n));
      expect(bad, `pid ${pid} made ${bad.join(', ')} after fork`).toEqual([]);
    }
    // The only files opened: the boot script and the entry, as the dropped user, to check access.
    const opened = [...text.matchAll(new RegExp(`^${daemon![0]}\\s+openat\\(AT_FDCWD, "([^"]+)"`, 'gm'))].map((m) => m[1]);
    expect(opened).toEqual([path.join(pkg.root, 'dist', 'runtime', 'boot.js'), path.join(pkg.fixtures, 'probe.js')]);
    // The drop happened in the right order, and regaining root was tried and failed.
    const d = daemon![1];
    expect(d.indexOf('setgroups')).toBeLessThan(d.indexOf('setgid'));
    expect(d.indexOf('setgid')).toBeLessThan(d.indexOf('setuid'));
    expect(text).toMatch(new RegExp(`^${daemon![0]}\\s+(setuid\\(0\\)|<\\.\\.\\. setuid resumed>).*= -1 EPERM`, 'm'));
  });
});

describe('source check', () => {
  it('only native/spawn.cc (daemons) and child-spawn.cc (supervised children, the app under run --init) fork, and their children end in execve or _exit', () => {
    const dir = path.join(__dirname, '..', '..', 'native');
    // CloneVfork() lives in signal-safe.h; the files that call it are the forkers. The native supervisor (native/supervisor/) is one of their callers.
    const ours = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => /\.(cc|h)$/.test(f) && !f.startsWith('vendor'));
    expect(ours).toContain(path.join('supervisor', 'main.cc'));
    const forkers = ours.filter((f) => /\b(_Fork|fork|vfork|clone|clone3|CloneVfork)\s*\(/.test(fs.readFileSync(path.join(dir, f), 'utf8').replace(/\/\/.*$/gm, '')));
    expect(forkers.sort()).toEqual(['child-spawn.cc', 'signal-safe.h', 'spawn.cc']);
    // The functions the children run are [[noreturn]] and never touch N-API or allocate.
    for (const [file, fns] of [['spawn.cc', ['BecomeDaemon', 'Intermediate']], ['child-spawn.cc', ['BecomeChild', 'ChildFail']]] as const) {
      const src = fs.readFileSync(path.join(dir, file), 'utf8');
      for (const fn of fns) {
        const start = src.indexOf(`[[noreturn]] TD_CHILD void ${fn}(`);
        expect(start, fn).toBeGreaterThan(-1);
        const body = src.slice(start, src.indexOf('\n}\n', start));
        expect(body, fn).not.toMatch(/Napi::|napi_|malloc|new |std::string\(|push_back|printf/);
      }
    }
    const ts = fs.readdirSync(path.join(__dirname, '..', '..', 'src'), { recursive: true }) as string[];
    for (const f of ts.filter((x) => x.endsWith('.ts'))) {
      const text = fs.readFileSync(path.join(__dirname, '..', '..', 'src', f), 'utf8');
      expect(text, f).not.toMatch(/child_process|\.fork\(/);
    }
  });
});
