// Before any test file: build the CLI the tests run (the step list from
// native/steps.h, TypeScript, the compiled config validator, the bundles and
// the man page), and make sure nobody can read a copy of it.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { leftovers } from './leftovers';

const ROOT = path.resolve(__dirname, '..', '..');
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

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

// Returns the paths the privilege-drop tests use, and what to remove afterwards.
function readableInstall(): { install: { root: string; bin: string; fixtures: string; node: string }; made: string[] } {
  const can = (test: string, file: string): boolean => process.geteuid?.() !== 0 || spawnSync(NOBODY[0]!, [...NOBODY.slice(1), 'test', test, file]).status === 0;
  const made: string[] = [];
  let node = process.execPath;
  if (!can('-x', node)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-node-'));
    made.push(dir);
    fs.chmodSync(dir, 0o755);
    node = path.join(dir, 'node');
    fs.copyFileSync(process.execPath, node);
    fs.chmodSync(node, 0o755);
  }
  if (can('-r', path.join(ROOT, 'dist', 'runtime', 'boot.js'))) {
    return { install: { root: ROOT, bin: path.join(ROOT, 'bin', 'taskdaemon.js'), fixtures: path.join(ROOT, 'test', 'fixtures'), node }, made };
  }
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'td-pkg-'));
  made.push(copy);
  fs.chmodSync(copy, 0o755);
  // What the package ships and the tests run as nobody (examples/: the container test's CMD).
  for (const part of ['package.json', 'bin', 'dist', 'generated', 'schema', 'build/Release/taskdaemon.node', 'build/Release/taskdaemon-supervisor', 'prebuilds', 'examples', 'test/fixtures', ...runtimeModules()]) {
    if (fs.existsSync(path.join(ROOT, part))) fs.cpSync(path.join(ROOT, part), path.join(copy, part), { recursive: true });
  }
  // npm run test:asan names another build of the addon (src/native.ts): the copy holds it too.
  if (process.env.TD_TEST_ADDON) {
    const addon = path.join(copy, 'build', 'test-addon', 'taskdaemon.node');
    fs.mkdirSync(path.dirname(addon), { recursive: true });
    fs.copyFileSync(process.env.TD_TEST_ADDON, addon);
    // The native supervisor is found beside the addon (src/native.ts nativeSupervisorPath).
    const sup = path.join(path.dirname(process.env.TD_TEST_ADDON), 'taskdaemon-supervisor');
    if (fs.existsSync(sup)) fs.copyFileSync(sup, path.join(path.dirname(addon), 'taskdaemon-supervisor'));
    process.env.TD_TEST_ADDON = addon;
  }
  return { install: { root: copy, bin: path.join(copy, 'bin', 'taskdaemon.js'), fixtures: path.join(copy, 'test', 'fixtures'), node }, made };
}

export default function setup(): () => void {
  // The same steps as `npm run compile` (scripts/compile.js), but the tracked schema file is left alone.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'compile.js')], { cwd: ROOT, stdio: 'inherit' });
  const { install, made } = readableInstall();
  // Test workers are forked after this and inherit it.
  process.env.TD_TEST_READABLE = JSON.stringify(install);
  // Marks every process of this run (leftovers.ts), so its end can prove none was left running.
  const runId = randomBytes(4).toString('hex');
  process.env.TD_TEST_RUN = runId;
  return () => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
    const left = leftovers(runId);
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
    // vitest reports an error thrown here but still exits 0: the exit code says it too.
    if (left.length) process.exitCode = 1;
    if (left.length) throw new Error(`the tests left ${left.length} process(es) running (killed now):\n${left.map((p) => `  ${p.pid} ${p.cmd}`).join('\n')}`);
  };
}
