// Runs the real `taskdaemon` CLI as a child process and collects its result.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
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
  const argv = [...(o.wrap ?? []), o.node ?? process.execPath, o.bin ?? BIN, ...args];
  const opts: SpawnOptions = {
    cwd: o.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe', ...(o.extraFds ?? [])],
  };
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), opts);
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
}

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
export const AS_NOBODY = NOBODY;

// node_modules/<dep> for every runtime dependency, and theirs (what `npm install --omit=dev` would bring).
function runtimeModules(): string[] {
  const seen = new Set<string>();
  const visit = (pkgJson: string): void => {
    const deps = (JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { dependencies?: { [k: string]: string } }).dependencies ?? {};
    for (const dep of Object.keys(deps)) {
      const dir = path.join('node_modules', dep);
      if (seen.has(dir) || !fs.existsSync(path.join(ROOT, dir, 'package.json'))) continue;
      seen.add(dir);
      visit(path.join(ROOT, dir, 'package.json'));
    }
  };
  visit(path.join(ROOT, 'package.json'));
  return [...seen];
}

export interface ReadableInstall {
  root: string;
  bin: string;
  fixtures: string;
  /** The node binary to run the CLI with: the daemon execs the same one. */
  node: string;
}
let readable: ReadableInstall | undefined;

// A daemon that drops to nobody must be able to read its own code. When the
// checkout sits below a private directory (mktemp -d is 0700), tests that
// drop privileges use a world-readable copy of the installed package instead.
export function nobodyReadable(): ReadableInstall {
  if (readable) return readable;
  const can = (test: string, file: string): boolean => spawnSync(NOBODY[0]!, [...NOBODY.slice(1), 'test', test, file]).status === 0;
  // The same holds for node itself (CI installs Node 24 inside the checkout).
  let node = process.execPath;
  if (!can('-x', node)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-node-'));
    fs.chmodSync(dir, 0o755);
    node = path.join(dir, 'node');
    fs.copyFileSync(process.execPath, node);
    fs.chmodSync(node, 0o755);
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  if (can('-r', path.join(ROOT, 'dist', 'runtime', 'boot.js'))) return (readable = { root: ROOT, bin: BIN, fixtures: FIXTURES, node });
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'td-pkg-'));
  fs.chmodSync(copy, 0o755);
  for (const part of ['package.json', 'bin', 'dist', 'generated', 'schema', 'build/Release/taskdaemon.node', 'prebuilds', 'test/fixtures', ...runtimeModules()]) {
    if (fs.existsSync(path.join(ROOT, part))) fs.cpSync(path.join(ROOT, part), path.join(copy, part), { recursive: true });
  }
  process.on('exit', () => fs.rmSync(copy, { recursive: true, force: true }));
  return (readable = { root: copy, bin: path.join(copy, 'bin', 'taskdaemon.js'), fixtures: path.join(copy, 'test', 'fixtures'), node });
}
