// As a user gets it: `npm pack` this checkout (with its x64 prebuild), install
// the tarball into an empty directory on a PATH without any compiler, run the
// README's two commands as written, then start, reload and stop a daemon with
// the installed `npx taskdaemon` under Node 20, 22 and 24 (one install, one
// Node-API binary), import it as an ES module and as CommonJS, type-check a
// consumer both ways, and see what a machine with no usable binary gets.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from '../helpers/cli';
import { freePort } from '../helpers/net';
import { ensureX64Prebuild, NODE_MAJORS, nodeBinary, noCompilerBin, noCompilerEnv, npmArgs } from '../helpers/package';
import { alive, waitFor } from '../helpers/proc';

const UNDER_ASAN = process.env.TD_ASAN === '1';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-package-'));
const app = path.join(dir, 'app');
const pkg = path.join(app, 'node_modules', 'taskdaemon');
const started: string[] = []; // pidfiles to stop if a test fails midway
let bin: string;
let tarball: string;

afterAll(async () => {
  for (const pidfile of started) {
    const pid = Number(fs.existsSync(pidfile) ? fs.readFileSync(pidfile, 'utf8') : 0);
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    if (pid > 0) await waitFor(() => !alive(pid), 5_000, `pid ${pid} to die`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
const sh = (line: string, cwd: string, env: NodeJS.ProcessEnv) => run('sh', ['-c', line], cwd, env);
const node20 = () => nodeBinary(20);
// Each test runs a dozen node, npm and npx processes: room for a loaded 2-core machine.
const SLOW = 300_000;

// Every name the package exports at run time, from this checkout's build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const publicNames = Object.keys(require(path.join(ROOT, 'dist', 'index.js')) as object)
  .filter((k) => k !== '__esModule')
  .sort();

// The README's block marked `<!-- test:ID -->` (the convention of readme.test.ts), as written.
function readmeBlock(id: string): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- test:${id}\\b[^>]*-->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(readme);
  if (!m) throw new Error(`README has no block marked test:${id}`);
  return m[1]!;
}

beforeAll(() => {
  ensureX64Prebuild();
  bin = noCompilerBin(dir);
  // --ignore-scripts: dist/ and man/ are already built by the test setup, and rebuilding
  // them here would rewrite files other test workers are running.
  const pack = run('npm', npmArgs('pack', '--ignore-scripts', '--pack-destination', dir), ROOT, process.env);
  if (pack.status !== 0) throw new Error(pack.stderr);
  tarball = path.join(dir, pack.stdout.trim().split('\n').at(-1)!);
  fs.mkdirSync(app);
  fs.copyFileSync(tarball, path.join(app, path.basename(tarball)));
  for (const major of NODE_MAJORS) nodeBinary(major); // fetched once, outside the tests' time
}, 600_000);

describe('the packed tarball', () => {
  it('ships what users need and nothing else', () => {
    const list = run('tar', ['-tzf', tarball], dir, process.env).stdout.split('\n').filter(Boolean);
    for (const f of ['LICENSE', 'CHANGELOG.md', 'README.md', 'man/taskdaemon.1', 'scripts/install.js', 'prebuilds/linux-x64/taskdaemon.glibc.node', 'binding.gyp', 'examples/http-server.js', 'generated/config-validator.js', 'generated/steps.js', 'generated/steps.d.ts', 'native/steps.h', 'dist/index.d.ts',
      // `install` renders from these.
      'systemd/taskdaemon@.service', 'systemd/taskdaemon-notify@.service', 'systemd/taskdaemon-notify@.socket', 'initd/taskdaemon']) {
      expect(list).toContain(`package/${f}`);
    }
    expect(list.filter((f) => /^package\/(test|src|bench|\.ci|scripts\/(?!(install|code-cache)\.js$))/.test(f))).toEqual([]);
  }, SLOW);

  it('the README commands install it with no compiler on PATH and run the example daemon', async () => {
    const env = noCompilerEnv(bin, node20());
    // Nothing on this PATH can compile: a source build could not hide here.
    expect(sh('command -v g++ || command -v gcc || command -v cc || command -v c++ || command -v make || command -v python3', app, env).stdout).toBe('');
    const port = await freePort();
    const [install, start] = readmeBlock('tarball').split('\n');
    expect(install).toMatch(/^npm install \.\/taskdaemon-[\d.]+\.tgz$/);
    expect(start).toBe('npx taskdaemon start node_modules/taskdaemon/examples/http-server.js -- --port 8080');

    const inst = sh(install!.replace(/taskdaemon-[\d.]+\.tgz/, path.basename(tarball)), app, env);
    expect(inst.status, inst.stderr).toBe(0);
    expect(fs.existsSync(path.join(pkg, 'build')), 'the install built from source instead of using the prebuild').toBe(false);

    // Pidfile, log and state inside this test's directory (the README's root defaults are /run and /var).
    const daemonEnv = { ...env, TASKDAEMON_PIDFILE: path.join(app, 'http.pid'), TASKDAEMON_STDOUT: path.join(app, 'http.log'), TASKDAEMON_STATE_FILE: path.join(app, 'http.state') };
    started.push(daemonEnv.TASKDAEMON_PIDFILE);
    const st = sh(start!.replace('8080', String(port)), app, daemonEnv);
    expect(st.stderr).toBe('');
    expect(st.stdout).toMatch(/^started http-server \(pid \d+\)\n$/);
    const body = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { name: string; phase: string };
    expect(body).toMatchObject({ name: 'http-server', phase: 'ready' });
    const stop = sh('npx taskdaemon stop http-server', app, daemonEnv);
    expect(stop.stdout).toMatch(/^stopped http-server \(pid \d+\)\n$/);
    expect(sh('npx taskdaemon status http-server', app, daemonEnv).status).toBe(3);
  }, SLOW);

  it('npx taskdaemon install renders from the service files it ships', () => {
    const env = noCompilerEnv(bin, node20());
    const example = path.join(pkg, 'examples', 'http-server.js');
    for (const [kind, shipped, args] of [
      ['systemd', 'systemd/taskdaemon-notify@.service', [example, '--type', 'notify']],
      ['initd', 'initd/taskdaemon', [example]],
    ] as const) {
      const r = run('npx', ['--no', 'taskdaemon', 'install', kind, ...args], app, env);
      expect(r.stderr, `${kind} ${shipped}`).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`from the shipped${kind === 'initd' ? ' generic\n# ' : '\n# '}${shipped}`); // its header names its source
      // The CLI that runs the service is the installed one.
      expect(r.stdout).toContain(path.join(pkg, 'bin', 'taskdaemon.js'));
    }
  }, SLOW);

  it('its install step prints nothing when the prebuild loads', () => {
    const r = run(node20(), [path.join(pkg, 'scripts', 'install.js')], pkg, noCompilerEnv(bin, node20()));
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toBe('');
    expect(fs.existsSync(path.join(pkg, 'build'))).toBe(false);
    // Under a node the package has no code cache for, it makes that node's, silently (the checkout built for its own).
    const node22 = nodeBinary(22);
    const cache = path.join(pkg, 'dist', 'cli', `main-status.js.${run(node22, ['-p', 'process.version'], app, process.env).stdout.trim()}-x64.cache`);
    const r22 = run(node22, [path.join(pkg, 'scripts', 'install.js')], pkg, noCompilerEnv(bin, node22));
    expect(r22.status).toBe(0);
    expect(r22.stdout + r22.stderr).toBe('');
    expect(fs.statSync(cache).size).toBeGreaterThan(10_000);
  }, SLOW);

  it('npx taskdaemon starts, reloads and stops a daemon under Node 20, 22 and 24', () => {
    fs.writeFileSync(
      path.join(app, 'worker.js'),
      `const { defineDaemon } = require('taskdaemon');
module.exports = defineDaemon({
  init() { console.log('worker on', process.version); },
  reload() { console.log('reloaded on', process.version); },
  run: (ctx) => new Promise((r) => ctx.signal.addEventListener('abort', r)),
});
`,
    );
    for (const major of NODE_MAJORS) {
      const node = nodeBinary(major);
      const version = run(node, ['--version'], app, process.env).stdout.trim();
      expect(version).toMatch(new RegExp(`^v${major}\\.`));
      const env = noCompilerEnv(bin, node);
      const pidfile = path.join(app, `worker${major}.pid`);
      const log = path.join(app, `worker${major}.log`);
      started.push(pidfile);
      const npx = (...args: string[]) => run('npx', ['--no', 'taskdaemon', ...args], app, env);
      const start = npx('start', 'worker.js', '--name', `worker${major}`, '--pidfile', pidfile, '--stdout', log, '--no-state-file');
      expect(start.stderr, `node ${major}`).toBe('');
      expect(start.stdout).toMatch(new RegExp(`^started worker${major} \\(pid \\d+\\)\\n$`));
      const pid = Number(fs.readFileSync(pidfile, 'utf8'));
      // The daemon runs the node that ran the CLI.
      expect(fs.realpathSync(`/proc/${pid}/exe`)).toBe(fs.realpathSync(node));
      expect(fs.readFileSync(log, 'utf8')).toContain(`worker on ${version}`);
      const reload = npx('reload', '--pidfile', pidfile);
      expect(reload.status, reload.stdout + reload.stderr).toBe(0);
      expect(fs.readFileSync(log, 'utf8')).toContain(`reloaded on ${version}`);
      const stop = npx('stop', '--pidfile', pidfile);
      expect(stop.status, stop.stderr).toBe(0);
      expect(alive(pid)).toBe(false);
      // A node >= 22.1 the package has no code cache for uses node's compile cache, which the commands wrote (before their _exit).
      if (major >= 22 && !fs.existsSync(path.join(pkg, 'dist', 'cli', `main-start.js.${version}-x64.cache`))) {
        const dirs = fs.readdirSync(path.join(pkg, 'dist', '.compile-cache')).filter((d) => d.startsWith(`${version}-`));
        expect(dirs.flatMap((d) => fs.readdirSync(path.join(pkg, 'dist', '.compile-cache', d))).length, `node ${major}`).toBeGreaterThan(0);
      }
    }
  }, SLOW);

  it('gives every public name to an ES module import and to require(), under each Node', () => {
    fs.writeFileSync(
      path.join(app, 'esm.mjs'),
      `import * as ns from 'taskdaemon';
import td, { ${publicNames.join(', ')} } from 'taskdaemon';
const named = { ${publicNames.join(', ')} };
const m = new DaemonManager({ entry: './worker.js', name: 'esm', pidfile: ${JSON.stringify(path.join(app, 'esm.pid'))} });
console.log(JSON.stringify({
  names: Object.keys(ns).filter((k) => !['default', '__esModule', 'module.exports'].includes(k)).sort(), // Node >= 23 adds 'module.exports'
  same: Object.keys(named).every((k) => named[k] === td[k] && named[k] !== undefined),
  manager: [m.name, m.isRunning()],
  defined: typeof defineDaemon({ run() {} }),
}));
`,
    );
    fs.writeFileSync(
      path.join(app, 'cjs.cjs'),
      `const td = require('taskdaemon');
const m = new td.DaemonManager({ entry: './worker.js', name: 'cjs', pidfile: ${JSON.stringify(path.join(app, 'cjs.pid'))} });
console.log(JSON.stringify({
  names: Object.keys(td).filter((k) => k !== '__esModule').sort(),
  defined: Object.keys(td).every((k) => td[k] !== undefined),
  manager: [m.name, m.isRunning()],
}));
`,
    );
    // The README's two one-liners, as written, then what they gave.
    const shown = 'console.log([defineDaemon, DaemonManager, TaskdaemonError].map((v) => typeof v).join(" "));\n';
    fs.writeFileSync(path.join(app, 'readme-esm.mjs'), `${readmeBlock('esm')}\n${shown}`);
    fs.writeFileSync(path.join(app, 'readme-cjs.cjs'), `${readmeBlock('cjs')}\n${shown}`);
    for (const major of NODE_MAJORS) {
      const node = nodeBinary(major);
      for (const file of ['readme-esm.mjs', 'readme-cjs.cjs']) {
        const r = run(node, [file], app, noCompilerEnv(bin, node));
        expect(r.stderr + r.stdout, `node ${major} ${file}`).toBe('function function function\n');
      }
      for (const file of ['esm.mjs', 'cjs.cjs']) {
        const r = run(node, [file], app, noCompilerEnv(bin, node));
        expect(r.stderr, `node ${major} ${file}`).toBe('');
        const got = JSON.parse(r.stdout) as { names: string[]; manager: [string, boolean] };
        expect(got.names, `node ${major} ${file}`).toEqual(publicNames);
        expect(got).toMatchObject(file === 'esm.mjs' ? { same: true, defined: 'object', manager: ['esm', false] } : { defined: true, manager: ['cjs', false] });
      }
    }
  }, SLOW);

  it('type-checks a consumer as CommonJS and as an ES module (nodenext)', () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    // Declarations emitted too: a library exporting a defineDaemon() result must be able to name its type.
    const base = { strict: true, declaration: true, emitDeclarationOnly: true, skipLibCheck: true, typeRoots: [path.join(ROOT, 'node_modules', '@types')], types: ['node'] };
    for (const [kind, file, options] of [
      ['commonjs', 'consumer-cjs.ts', { module: 'commonjs', moduleResolution: 'node10' }],
      ['nodenext', 'consumer-esm.mts', { module: 'nodenext', moduleResolution: 'nodenext' }],
    ] as const) {
      fs.copyFileSync(path.join(FIXTURES, 'consumer.ts'), path.join(app, file));
      fs.writeFileSync(path.join(app, `tsconfig.${kind}.json`), JSON.stringify({ compilerOptions: { ...base, ...options, outDir: `types-${kind}` }, files: [file] }));
      const r = run(process.execPath, [tsc, '-p', `tsconfig.${kind}.json`], app, process.env);
      expect(r.stdout + r.stderr, kind).toBe('');
      expect(r.status, kind).toBe(0);
      expect(fs.readFileSync(path.join(app, `types-${kind}`, file.replace(/\.(m?)ts$/, '.d.$1ts')), 'utf8')).toContain('BrandedDefinition');
    }
  }, SLOW);
});

describe('a machine the package cannot run on', () => {
  const pretendDarwin = path.join(FIXTURES, 'pretend-darwin.cjs');

  it('not Linux: import and the CLI fail with ERR_UNSUPPORTED_PLATFORM, nothing else', () => {
    const env = noCompilerEnv(bin, node20());
    const imp = run(node20(), ['-r', pretendDarwin, '-e', "try { require('taskdaemon') } catch (e) { console.log(e.code, e.message) }"], app, env);
    expect(imp.stdout).toBe(`ERR_UNSUPPORTED_PLATFORM unsupported platform darwin-${process.arch}: taskdaemon runs on Linux only\n`);
    const cli = path.join(app, 'node_modules', '.bin', 'taskdaemon');
    const start = run(node20(), ['-r', pretendDarwin, cli, 'start', 'worker.js', '--pidfile', path.join(app, 'darwin.pid')], app, env);
    expect(start.stderr).toBe(`taskdaemon: unsupported platform darwin-${process.arch}: taskdaemon runs on Linux only\n`);
    expect(start.status).toBe(5);
    expect(fs.existsSync(path.join(app, 'darwin.pid'))).toBe(false);
    expect(run(node20(), ['-r', pretendDarwin, cli, 'status', '--pidfile', path.join(app, 'darwin.pid')], app, env).status).toBe(4);
  }, SLOW);

  // Not under test:asan: its harness sets TASKDAEMON_PASS_ENV and TD_TEST_ADDON itself (scripts/test-asan.sh).
  it.skipIf(UNDER_ASAN)('no prebuild fits and no compiler: the install succeeds in two lines, then ERR_UNSUPPORTED_PLATFORM on import and CLI use', () => {
    // The same tarball without its prebuilds: what a musl machine or another architecture gets.
    const unpacked = path.join(dir, 'unpacked');
    fs.mkdirSync(unpacked);
    expect(run('tar', ['-xzf', tarball, '-C', unpacked], dir, process.env).status).toBe(0);
    fs.rmSync(path.join(unpacked, 'package', 'prebuilds'), { recursive: true, force: true });
    // Nor code caches: the install step makes them, running the CLI where it cannot work.
    const cli = path.join(unpacked, 'package', 'dist', 'cli');
    for (const f of fs.readdirSync(cli)) if (f.endsWith('.cache')) fs.rmSync(path.join(cli, f));
    const bare = path.join(dir, 'taskdaemon-noprebuilds.tgz');
    expect(run('tar', ['-czf', bare, '-C', unpacked, 'package'], dir, process.env).status).toBe(0);
    const app2 = path.join(dir, 'app2');
    fs.mkdirSync(app2);
    fs.writeFileSync(path.join(app2, 'worker.js'), "module.exports = require('taskdaemon').defineDaemon({});\n");
    // Its own TMPDIR: the install step's code-cache warm-ups (no daemon can start here) leave nothing in it.
    const tmpdir = fs.mkdtempSync(path.join(dir, 'tmp-'));
    const env = { ...noCompilerEnv(bin, node20()), TMPDIR: tmpdir };

    // --foreground-scripts: npm shows what the install step says (it hides a dependency's output otherwise).
    const inst = run('npm', npmArgs('install', '--foreground-scripts', bare), app2, env);
    expect(inst.status, inst.stderr).toBe(0);
    expect(fs.readdirSync(tmpdir).filter((f) => f.startsWith('td-'))).toEqual([]);
    const log = path.join(app2, 'node_modules', 'taskdaemon', 'build', 'source-build.log');
    const said = (inst.stdout + inst.stderr).split('\n').filter((l) => l.startsWith('taskdaemon:'));
    expect(said).toEqual([
      `taskdaemon: no prebuilt addon fits linux-${process.arch} and the source build failed (log: ${log});`,
      'taskdaemon: it will throw ERR_UNSUPPORTED_PLATFORM until a C++ compiler, make and python3 are installed and `npm rebuild taskdaemon` runs',
    ]);
    expect(inst.stdout + inst.stderr).not.toMatch(/gyp (ERR|info)/); // node-gyp's wall of text went to the log
    expect(fs.readFileSync(log, 'utf8')).toMatch(/gyp ERR!/);

    const message = `unsupported platform linux-${process.arch}: no prebuilt addon fits this machine and the source build at install failed (see ${log})`;
    const hint = 'install a C++ compiler, make and python3 (Debian: g++ make python3; Alpine: build-base python3), then run: npm rebuild taskdaemon';
    const cjs = run(node20(), ['-e', "try { require('taskdaemon') } catch (e) { console.log(e.code + ' ' + e.message) }"], app2, env);
    expect(cjs.stdout).toBe(`ERR_UNSUPPORTED_PLATFORM ${message}\n`);
    const esm = run(node20(), ['--input-type=module', '-e', "import('taskdaemon').catch((e) => console.log(e.code + ' ' + e.message))"], app2, env);
    expect(esm.stdout).toBe(`ERR_UNSUPPORTED_PLATFORM ${message}\n`);
    const start = run('npx', ['--no', 'taskdaemon', 'start', 'worker.js', '--pidfile', path.join(app2, 'w.pid')], app2, env);
    expect(start.stderr).toBe(`taskdaemon: ${message}\n${hint}\n`);
    expect(start.status).toBe(5);
    expect(fs.existsSync(path.join(app2, 'w.pid'))).toBe(false);
  }, SLOW);
});
