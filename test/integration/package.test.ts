// As a user gets it: `npm pack` this checkout, install the tarball into a new
// project (the addon builds there), and run a daemon with the installed CLI.
// Proves the published file list is complete (dist, generated, schema, native).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-package-'));
afterAll(() => {
  const pidfile = path.join(dir, 'app', 'worker.pid');
  if (fs.existsSync(pidfile)) spawnSync(process.execPath, [path.join(dir, 'app', 'node_modules', '.bin', 'taskdaemon'), 'stop', '--pidfile', pidfile]);
  fs.rmSync(dir, { recursive: true, force: true });
});

const npm = (args: string[], cwd: string) => spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 240_000 });

describe('the published package', () => {
  it('installs from its tarball and runs a daemon', () => {
    // --ignore-scripts: dist/ is already built by the test setup, and rebuilding
    // it here would rewrite files other test workers are running.
    const pack = npm(['pack', '--ignore-scripts', '--pack-destination', dir], ROOT);
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = path.join(dir, pack.stdout.trim().split('\n').at(-1)!);
    const app = path.join(dir, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    const install = npm(['install', tarball], app);
    expect(install.status, install.stderr).toBe(0);
    fs.writeFileSync(
      path.join(app, 'worker.js'),
      `const { defineDaemon } = require('taskdaemon');\nmodule.exports = defineDaemon({ run: (ctx) => new Promise((r) => ctx.signal.addEventListener('abort', r)) });\n`,
    );
    const cli = path.join(app, 'node_modules', '.bin', 'taskdaemon');
    const flags = ['--pidfile', path.join(app, 'worker.pid'), '--stdout', path.join(app, 'worker.log'), '--no-state-file'];
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: app, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const start = run('start', 'worker.js', ...flags);
    expect(start.stderr).toBe('');
    expect(start.stdout).toMatch(/^started worker \(pid \d+\)\n$/);
    const status = run('status', '--pidfile', path.join(app, 'worker.pid'), '--name', 'worker');
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('phase ready');
    expect(run('config', 'check', 'worker.js', ...flags).status).toBe(0); // the compiled schema shipped
    expect(run('stop', '--pidfile', path.join(app, 'worker.pid')).status).toBe(0);
  }, 300_000);
});
