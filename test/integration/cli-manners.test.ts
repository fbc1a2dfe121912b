// CLI manners: --help with examples everywhere, one-line errors with stack
// traces only under --debug, and the version check between CLI and daemon.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/option-table';
import { ROOT, td } from '../helpers/cli';
import { pidsWith, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

let sb: Sandbox;
const dirs: string[] = [];
afterEach(async () => {
  await sb?.cleanup();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('CLI manners', () => {
  for (const cmd of ['start', 'stop', 'restart', 'reload', 'status', 'health', 'run', 'logs', 'install', 'config']) {
    it(`${cmd} --help shows examples and exits 0`, async () => {
      const r = await td([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: taskdaemon ${cmd} `));
      expect(r.stdout).toMatch(/\nExamples:\n  taskdaemon /);
    });
  }

  it('each command has a bundle of its own; a command word that is not a plain name never becomes a path', async () => {
    for (const cmd of COMMANDS) expect(fs.existsSync(path.join(ROOT, 'dist', 'cli', `main-${cmd}.js`)), cmd).toBe(true);
    // bin/taskdaemon.js picks dist/cli/main-WORD.js only for WORD made of [a-z-]: these reach the whole CLI, which refuses them.
    for (const word of ['status/../../cli/main', '../cli/main-status', 'Status', 'status.js']) {
      const r = await td([word, 'x']);
      expect(r.code, word).toBe(2);
      expect(r.stderr, word).toContain(`unknown command '${word}'`);
    }
  });

  // What bin/taskdaemon.js does with a bundle's code cache made for this node: false when V8 rejects it (then the command compiles).
  const cacheAccepted = (bundle: string): boolean => {
    const file = path.join(ROOT, 'dist', 'cli', bundle);
    const cachedData = fs.readFileSync(`${file}.${process.version}-${process.arch}.cache`);
    return !new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData }).cachedDataRejected;
  };

  // A stale cache (a bundle rebuilt since) would be rejected.
  it('the code cache the build made for this node is accepted by it, for the whole CLI and every command bundle', () => {
    for (const b of ['main.js', ...COMMANDS.map((c) => `main-${c}.js`)]) expect(cacheAccepted(b), b).toBe(true);
  });

  // scripts/code-cache.js's warm-ups start real daemons in a temporary directory: `start` one that exits once
  // ready, `status` (like stop, reload, ...) one that it talks to and then stops.
  it.each(['main-start.js', 'main-status.js'])('making %s\'s code cache leaves no process and no file behind, and the cache is accepted', async (bundle) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'td-tmpdir-'));
    dirs.push(tmp);
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'code-cache.js'), bundle], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toBe('');
    expect(fs.readdirSync(tmp)).toEqual([]);
    await waitFor(() => pidsWith(tmp).length === 0, 5_000, () => `the warm-up's daemon to end: ${pidsWith(tmp).join(', ')}`);
    expect(cacheAccepted(bundle)).toBe(true);
  });

  // Node >= 22.1 (module.enableCompileCache), run from a copy of the package without the code caches of ours
  // (which this node would use instead): CI builds with 20 and runs the suite under 24 too.
  it.runIf(typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function')(
    "a node with no code cache of ours writes node's compile cache before it exits, in the package's dist/, never in a temporary directory another user could have prepared",
    () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'td-tmpdir-'));
      dirs.push(tmp);
      const copy = path.join(tmp, 'package');
      fs.cpSync(path.join(ROOT, 'dist'), path.join(copy, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.cache') && !f.includes('.compile-cache') });
      fs.cpSync(path.join(ROOT, 'bin'), path.join(copy, 'bin'), { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'));
      for (const d of ['node_modules', 'generated', 'build', 'prebuilds']) if (fs.existsSync(path.join(ROOT, d))) fs.symlinkSync(path.join(ROOT, d), path.join(copy, d));
      const work = fs.mkdtempSync(path.join(tmp, 'tmpdir-'));
      const status = (env: NodeJS.ProcessEnv = {}) =>
        spawnSync(process.execPath, [path.join(copy, 'bin', 'taskdaemon.js'), 'status', '--pidfile', path.join(work, 'none.pid')], {
          encoding: 'utf8',
          env: { ...process.env, TMPDIR: work, NODE_COMPILE_CACHE: undefined, ...env },
        });
      expect(status().status).toBe(3);
      expect(fs.readdirSync(work)).toEqual([]);
      // The command ends with _exit (src/exit-now.ts), past node's own writing of the cache: it wrote it first.
      const cacheDir = path.join(copy, 'dist', '.compile-cache');
      const files = fs.readdirSync(cacheDir).filter((d) => d.startsWith(`${process.version}-`)).flatMap((d) => fs.readdirSync(path.join(cacheDir, d)));
      expect(files.length).toBeGreaterThan(0);
      const again = status({ NODE_DEBUG_NATIVE: 'COMPILE_CACHE' });
      expect(again.status).toBe(3);
      expect(again.stderr).toMatch(/V8 code cache for CommonJS \S+main-status\.js was accepted/);
    },
  );

  it('--version and -V print the package version, as the CLI does for any other form', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const argv of [['--version'], ['-V'], ['status', '--version']]) {
      expect(await td(argv)).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('errors are one line (plus a hint); --debug adds the stack', async () => {
    const plain = await td(['start', '/no/such/app.js']);
    expect(plain.stderr).toBe('taskdaemon: entry not found: /no/such/app.js\n');
    const debug = await td(['start', '/no/such/app.js', '--debug']);
    expect(debug.code).toBe(5);
    expect(debug.stderr).toMatch(/^taskdaemon: entry not found: \/no\/such\/app\.js\nTaskdaemonError: entry not found.*\n\s+at resolveEntry /);
  });

  it('colors only on a terminal, and never with NO_COLOR', async () => {
    sb = sandbox();
    expect((await td(['start', path.join(ROOT, 'test', 'fixtures', 'probe.js'), ...sb.flags, '--', sb.tag])).code).toBe(0);
    const status = `${process.execPath} ${path.join(ROOT, 'bin', 'taskdaemon.js')} status --pidfile ${sb.pidfile} --name ${sb.name}`;
    // script(1) gives the CLI a pseudo-terminal as stdout.
    const onTty = (env: string): string => spawnSync('script', ['-qec', `${env} ${status}`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: undefined } }).stdout;
    expect(onTty('env -u NO_COLOR')).toContain('\x1b[32mrunning\x1b[0m');
    expect(onTty('env NO_COLOR=1')).not.toContain('\x1b[');
    expect((await td(['status', '--pidfile', sb.pidfile, '--name', sb.name])).stdout).not.toContain('\x1b['); // a pipe
  });

  it('a reader that goes away (EPIPE, as in `status | head -1`) does not change the exit code', async () => {
    sb = sandbox();
    expect((await td(['start', path.join(ROOT, 'test', 'fixtures', 'probe.js'), ...sb.flags, '--', sb.tag])).code).toBe(0);
    for (const [args, code] of [[['status', '--pidfile', sb.pidfile], 0], [['status', '--pidfile', sb.pidfile + '.none'], 3], [['logs', '--stdout', sb.log, '-n', '5'], 0]] as const) {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'taskdaemon.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // the reader is gone before the first write
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const [exit] = await once(child, 'exit');
      expect({ args: args[0], exit, stderr }).toEqual({ args: args[0], exit: code, stderr: '' });
    }
  });

  it('status warns when the daemon runs another taskdaemon version than the CLI', async () => {
    sb = sandbox();
    // An "older install": a copy of the package that says it is 0.0.1.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'td-old-'));
    dirs.push(copy);
    const devOnly = /node_modules\/(@?vite|@?vitest|typescript|node-gyp\b|prebuildify|@types|rollup|@rollup|esbuild|@esbuild)/;
    for (const part of ['bin', 'dist', 'generated', 'schema', 'build', 'node_modules', 'test/fixtures']) {
      fs.cpSync(path.join(ROOT, part), path.join(copy, part), { recursive: true, filter: (src) => !devOnly.test(src) });
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    fs.writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ ...pkg, version: '0.0.1' }));
    const started = await td(['start', path.join(copy, 'test', 'fixtures', 'probe.js'), ...sb.flags, '--', sb.tag], { bin: path.join(copy, 'bin', 'taskdaemon.js') });
    expect(started.code).toBe(0);
    const r = await td(['status', '--pidfile', sb.pidfile, '--name', sb.name]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('taskdaemon 0.0.1');
    expect(r.stderr).toBe(`taskdaemon: warning: ${sb.name} runs taskdaemon 0.0.1, this CLI is ${pkg.version}; restart it to upgrade\n`);
    const j = JSON.parse((await td(['status', '--pidfile', sb.pidfile, '--json'])).stdout);
    expect(j).toMatchObject({ cliVersion: pkg.version, daemon: { version: '0.0.1' } });
  });
});

