// Runs the real `taskdaemon` CLI as a child process and collects its result.
import { spawn, type SpawnOptions } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'taskdaemon.js');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const isRoot = process.geteuid?.() === 0;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Extra stdio entries (fd 3, 4, ...) handed to the CLI. */
  extraFds?: number[];
  /** Prefix command, e.g. ['setpriv', '--reuid=65534', ...]. */
  wrap?: string[];
  /** Another copy of the CLI and of node (see nobodyReadable). */
  bin?: string;
  node?: string;
  timeoutMs?: number;
}

export function td(args: string[], o: CliOptions = {}): Promise<CliResult> {
  return tdRunning(args, o).done;
}

/** The CLI while it runs: its pid at once (to signal it), its result later. */
export function tdRunning(args: string[], o: CliOptions = {}): { pid: number; done: Promise<CliResult> } {
  // '--' as the shebang has it: node must not read our --env-file as its own.
  const argv = [...(o.wrap ?? []), o.node ?? process.execPath, '--', o.bin ?? BIN, ...args];
  const opts: SpawnOptions = {
    cwd: o.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe', ...(o.extraFds ?? [])],
  };
  const child = spawn(argv[0]!, argv.slice(1), opts);
  const done = new Promise<CliResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`taskdaemon ${args.join(' ')} did not finish in ${o.timeoutMs ?? 20_000} ms\n${stdout}\n${stderr}`));
    }, o.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid! });
    });
  });
  return { pid: child.pid ?? -1, done };
}

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
export const AS_NOBODY = NOBODY;

export interface ReadableInstall {
  root: string;
  bin: string;
  fixtures: string;
  /** The node binary to run the CLI with: the daemon execs the same one. */
  node: string;
}

// A daemon that drops to nobody must be able to read its own code, and exec
// node. test/helpers/global-setup.ts checks that once per run and, when the
// checkout (or node) is below a private directory (mktemp -d is 0700), makes a
// world-readable copy for the tests that drop privileges, removed at the end.
export function nobodyReadable(): ReadableInstall {
  const raw = process.env.TD_TEST_READABLE;
  if (!raw) throw new Error('nobodyReadable(): global setup did not run');
  return JSON.parse(raw) as ReadableInstall;
}
