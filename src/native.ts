// Typed surface of the native addon (native/*.cc). Every function returns its
// result, a negative errno, or { errno, syscall }; src/errors.ts turns those
// into SystemErrors. Nothing native throws except on programming errors.
import * as path from 'node:path';
import type { SetupStepName } from './setup-steps';

import type { NativeFailure } from './errors';
export type { NativeFailure } from './errors';

export interface DaemonizeSpec {
  file: string;
  argv: string[];
  envp: string[];
  cwd: string;
  umask: number;
  stdin: number;
  stdout: number;
  stderr: number;
  uid: number; // -1: keep
  gid: number; // -1: keep
  groups: number[] | null; // null: keep
  lockFd: number;
  readyFd: number;
  keepFds: number[];
  rlimits?: Rlimit[];
  nice?: number;
  /** Opened read-only after the privilege drop; a failure reports `step` (an open step of native/steps.h). */
  readable?: { path: string; step: SetupStepName }[];
  /**
   * The ready pipe is not passed on (a program without the runtime): it stays
   * close-on-exec up to execve, so end of file on it says execve succeeded.
   */
  readyOnExec?: boolean;
}

export interface ChildSpec {
  file: string;
  argv: string[];
  envp: string[];
  cwd?: string;
  fds: number[];
  /** Complete the envp entry "LISTEN_PID=" with the child's own pid (socket activation). */
  listenPid?: boolean;
  /** PR_SET_PDEATHSIG: the signal the child gets when this process dies (a supervisor killed outright). */
  deathSignal?: number;
}

/** One exchange on a control socket: the reply line, how it ended without one, or the failed syscall. */
export type ControlCallResult = { reply: string } | { end: 'timeout' | 'closed' | 'too-long'; partial: boolean } | NativeFailure;

/** How a child ended: an exit code, or the signal that killed it. */
export interface ChildExit {
  pid: number;
  code: number | null;
  signal: number | null;
}

export interface Rlimit {
  resource: 'nofile' | 'core' | 'nproc' | 'memlock';
  /** -1: unlimited */
  soft: number;
  hard: number;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
}

export interface NativeBinding {
  daemonize(spec: DaemonizeSpec): { pid: number; status: number; daemonPid: number } | NativeFailure;
  /** native/steps.h as this build compiled it: [name, syscall] per step (for the test that holds it against generated/steps.js). */
  setupSteps: [string, string][];
  flock(fd: number, op: number): number;
  /** 1 when process `pid` holds an flock on the file (dev, ino) through an fd of its own, 0 when not, -errno when its /proc/PID/fd cannot be opened. */
  lockHeldBy(pid: number, dev: number, ino: number): number;
  LOCK_SH: number;
  LOCK_EX: number;
  LOCK_UN: number;
  LOCK_NB: number;
  pipe(): [number, number] | number;
  setCloexec(fd: number, on: boolean): number;
  dup2(oldFd: number, newFd: number): number;
  /** The read end (O_CLOEXEC) of a pipe holding `text`, its write end closed; -E2BIG if it cannot fit. */
  pipeWith(text: string): number;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(fd: number, signal: number): number;
  pidfdWait(fd: number, timeoutMs: number): Promise<number>;
  /** pidfdWait on the calling thread (blocking-waits.ts). */
  pidfdWaitSync(fd: number, timeoutMs: number): number;
  lookupUser(nameOrUid: string): PasswdEntry | null | number;
  lookupGroup(nameOrGid: string): GroupEntry | null | number;
  groupList(user: string, gid: number): number[] | number;
  sdNotify(socketPath: string, message: string): number;
  /** A datagram socket bound at `path` (O_CLOEXEC, O_NONBLOCK) for sd_notify messages. */
  notifyBind(path: string): number | NativeFailure;
  /** The next datagram, null when none is queued, or -errno. */
  notifyRecv(fd: number): string | null | number;
  /** poll(2) for POLLIN on every fd: which are ready (all false: timed out), or -errno. -1 waits forever. */
  pollFds(fds: number[], timeoutMs: number): Promise<boolean[] | number>;
  setrlimit(resource: Rlimit['resource'], soft: number, hard: number): number;
  /** isatty(3). */
  isatty(fd: number): boolean;
  /** _exit(2): ends the process at once (exit-now.ts). */
  exitNow(code: number): never;
  /** One request line to a unix socket and its first reply line, within timeoutMs (a thread of its own). */
  controlCall(path: string, request: string, timeoutMs: number, maxReply: number): Promise<ControlCallResult>;
  /** controlCall on the calling thread (blocking-waits.ts). */
  controlCallSync(path: string, request: string, timeoutMs: number, maxReply: number): ControlCallResult;
  /** A listening unix socket at `path` with `mode` (default 0600), set before listen(2). */
  unixListen(path: string, backlog: number, mode?: number): number | NativeFailure;
  /** The native supervisor's restart backoff (native/supervisor/backoff.h), for its unit test: a step is [uptimeMs, now] or 'reset'. */
  backoffDecisions(
    spec: { delayMs: number; maxMs: number; limit: { burst: number; intervalMs: number } | null },
    steps: ([number, number] | 'reset')[],
  ): ({ restart: true; delayMs: number; count: number } | { restart: false; count: number; intervalMs: number } | null)[];
  /** A listening TCP socket (SO_REUSEADDR; IPv6 only for family 6) on a numeric address. */
  tcpListen(family: 4 | 6, address: string, port: number, backlog: number): number | NativeFailure;
  /** fork + execve of a child with exactly `fds` as its fds 0..n-1 (-1: closed); LISTEN_PID=<its pid> when asked. */
  spawnChild(spec: ChildSpec): { pid: number } | NativeFailure;
  /** waitpid(pid, WNOHANG): null while it runs. */
  waitChild(pid: number): ChildExit | null | number;
  /** waitpid(-1, WNOHANG) until none is left: every child that ended. */
  reapAny(): ChildExit[];
  /** prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants become this process's children. 0 or -errno. */
  setChildSubreaper(): number;
}

let binding: NativeBinding | undefined;
/** The file the addon was loaded from, when known (the native supervisor is built beside it). */
let bindingFile: string | null = null;

// Where the addon can be, in node-gyp-build's order: a source build (made by
// the install step when no prebuild fits, e.g. on musl, or in a checkout),
// then the prebuild shipped for this architecture. Fixed paths, no directory
// scan: every daemon and every command pays for this lookup.
function candidates(root: string): string[] {
  return [path.join(root, 'build', 'Release', 'taskdaemon.node'), path.join(root, 'prebuilds', `linux-${process.arch}`, 'taskdaemon.glibc.node')];
}

// Loaded on first use so commands that need no syscalls (help, version) stay fast.
export function native(): NativeBinding {
  if (binding) return binding;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const unsupported = (): typeof import('./unsupported') => require('./unsupported') as typeof import('./unsupported');
  if (process.platform !== 'linux') throw unsupported().notLinux();
  // Test-only: `npm run test:asan` names the sanitizer build here, and every
  // process the tests start (the CLI, the daemons it execs) inherits it.
  const override = process.env.TD_TEST_ADDON;
  if (override) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require(path.resolve(override)) as NativeBinding;
    bindingFile = path.resolve(override);
    return binding;
  }
  const root = path.join(__dirname, '..');
  const failures: string[] = [];
  for (const file of candidates(root)) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      binding = require(file) as NativeBinding;
      bindingFile = file;
      return binding;
    } catch (e) {
      // A missing file is the usual case for the first candidate; anything else (wrong libc, too old a glibc) is worth telling.
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') failures.push(`${path.relative(root, file)}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    // Any other layout node-gyp-build knows (a musl-tagged prebuild, say).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = (require('node-gyp-build') as (dir: string) => NativeBinding)(root);
    return binding;
  } catch (e) {
    const first = (e as Error).message.split('\n')[0]!;
    if (!/^No native build was found/.test(first) && !failures.some((f) => f.endsWith(first))) failures.push(first);
  }
  throw unsupported().noBinary(root, failures);
}

/**
 * The native supervisor (native/supervisor/), built and shipped beside the
 * addon: build/Release or prebuilds/linux-ARCH. Null when there is none (an
 * addon found by node-gyp-build's own search, or a build without it).
 */
export function nativeSupervisorPath(): string | null {
  native();
  if (!bindingFile) return null;
  const file = path.join(path.dirname(bindingFile), 'taskdaemon-supervisor');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return file;
  } catch {
    return null;
  }
}
