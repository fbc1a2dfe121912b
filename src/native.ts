// Typed surface of the native addon (native/*.cc). Every function returns its
// result, a negative errno, or { errno, syscall }; src/errors.ts turns those
// into SystemErrors. Nothing native throws except on programming errors.
import * as path from 'node:path';

export interface NativeFailure {
  errno: number; // negative
  syscall: string;
}

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
  /** Opened read-only after the privilege drop; a failure reports `step`. */
  readable?: { path: string; step: string }[];
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
  flock(fd: number, op: number): number;
  LOCK_SH: number;
  LOCK_EX: number;
  LOCK_UN: number;
  LOCK_NB: number;
  pipe(): [number, number] | number;
  setCloexec(fd: number, on: boolean): number;
  dup2(oldFd: number, newFd: number): number;
  /** A sealed memfd holding `text`, at offset 0, O_CLOEXEC. */
  memfdWith(name: string, text: string): number;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(fd: number, signal: number): number;
  pidfdWait(fd: number, timeoutMs: number): Promise<number>;
  lookupUser(nameOrUid: string): PasswdEntry | null | number;
  lookupGroup(nameOrGid: string): GroupEntry | null | number;
  groupList(user: string, gid: number): number[] | number;
  sdNotify(socketPath: string, message: string): number;
  setrlimit(resource: Rlimit['resource'], soft: number, hard: number): number;
  unixListen(path: string, backlog: number): number | NativeFailure;
}

let binding: NativeBinding | undefined;

// Loaded on first use so commands that need no syscalls (help, version) stay fast.
export function native(): NativeBinding {
  if (binding) return binding;
  if (process.platform !== 'linux') {
    const err = new Error(`taskdaemon supports Linux only (this is ${process.platform})`) as NodeJS.ErrnoException;
    err.code = 'ERR_UNSUPPORTED_PLATFORM';
    throw err;
  }
  // Test-only: `npm run test:asan` names the sanitizer build here, and every
  // process the tests start (the CLI, the daemons it execs) inherits it.
  const override = process.env.TD_TEST_ADDON;
  if (override) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require(path.resolve(override)) as NativeBinding;
    return binding;
  }
  const root = path.join(__dirname, '..');
  try {
    // The usual case, a local build: skip node-gyp-build's directory scan (every daemon pays it).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require(path.join(root, 'build', 'Release', 'taskdaemon.node')) as NativeBinding;
  } catch {
    // Prebuilt binaries (prebuildify) and debug builds.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as (dir: string) => NativeBinding;
    binding = load(root);
  }
  return binding;
}

export function isFailure(v: unknown): v is NativeFailure {
  return typeof v === 'object' && v !== null && 'errno' in v && 'syscall' in v;
}
