// examples/Dockerfile and examples/kubernetes.yaml, as far as this machine can
// check them without docker: the Dockerfile passes the Docker language
// server's validator (dockerfile-utils) and is a multi-stage build whose last
// stage runs the CMD; that exact CMD then runs as PID 1 of new pid and
// network namespaces, as the image's unprivileged user, from a directory laid
// out like the image's /app; the probes the manifest declares (/ready and
// /health on the health port) answer there, and SIGTERM to PID 1 (what
// `docker stop` and the kubelet send) ends it gracefully with exit 0.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AS_NOBODY, isRoot, nobodyReadable, ROOT } from '../helpers/cli';
import { waitFor } from '../helpers/proc';

/* eslint-disable @typescript-eslint/no-require-imports */
const { validate } = require('dockerfile-utils') as typeof import('dockerfile-utils');
const YAML = require('yaml') as typeof import('yaml');
/* eslint-enable @typescript-eslint/no-require-imports */

const DOCKERFILE = fs.readFileSync(path.join(ROOT, 'examples', 'Dockerfile'), 'utf8');
const MANIFEST = YAML.parseAllDocuments(fs.readFileSync(path.join(ROOT, 'examples', 'kubernetes.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; spec: { [k: string]: unknown } });
const canNamespace = isRoot && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', '--net', 'true']).status === 0;

// Instructions as [KEYWORD, arguments], continuation lines joined, comments dropped.
function instructions(text: string): [string, string][] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l) => {
      const m = /^\s*(\S+)\s+(.*)$/.exec(l)!;
      return [m[1]!.toUpperCase(), m[2]!];
    });
}

const INSTR = instructions(DOCKERFILE);
const CMD = JSON.parse(INSTR.filter(([k]) => k === 'CMD').at(-1)![1]) as string[];
const option = (argv: string[], name: string): string => argv[argv.indexOf(name) + 1]!;

interface Container {
  spec: { containers: { ports: { name: string; containerPort: number }[]; readinessProbe: Probe; livenessProbe: Probe; startupProbe: Probe }[]; securityContext: { runAsUser: number } };
}
interface Probe {
  httpGet: { path: string; port: string };
}

let app: ChildProcess | null = null;
let dir: string | null = null;
afterEach(() => {
  if (app && app.exitCode === null && app.signalCode === null) app.kill('SIGKILL');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  app = dir = null;
});

describe('examples/Dockerfile and examples/kubernetes.yaml', () => {
  it('the Dockerfile lints clean and is a multi-stage build from the tarball; the manifest probes what the CMD serves', () => {
    expect(validate(DOCKERFILE).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    const froms = INSTR.filter(([k]) => k === 'FROM').map(([, a]) => a);
    expect(froms).toEqual(['node:20-bookworm-slim AS deps', 'node:20-bookworm-slim']);
    expect(INSTR).toContainEqual(['COPY', 'taskdaemon-0.1.0.tgz ./']);
    expect(INSTR).toContainEqual(['COPY', '--from=deps /app ./']);
    // The last stage drops root before its CMD.
    const lastFrom = INSTR.map(([k]) => k).lastIndexOf('FROM');
    const user = INSTR.findIndex(([k], i) => k === 'USER' && i > lastFrom);
    expect(INSTR[user]).toEqual(['USER', 'node']);
    expect(INSTR.map(([k]) => k).lastIndexOf('CMD')).toBeGreaterThan(user);
    // The tarball's name is the one `npm pack` makes from this package.
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    expect(DOCKERFILE).toContain(`${pkg.name}-${pkg.version}.tgz`);

    const healthPort = Number(option(CMD, '--health-port'));
    const appPort = Number(option(CMD.slice(CMD.indexOf('--')), '--port'));
    const deploy = MANIFEST.find((d) => d.kind === 'Deployment')!.spec as { template: Container };
    const c = deploy.template.spec.containers[0]!;
    const port = (name: string): number => c.ports.find((p) => p.name === name)!.containerPort;
    expect([port('http'), port('health')]).toEqual([appPort, healthPort]);
    expect([c.startupProbe.httpGet, c.readinessProbe.httpGet, c.livenessProbe.httpGet]).toEqual([
      { path: '/ready', port: 'health' },
      { path: '/ready', port: 'health' },
      { path: '/health', port: 'health' },
    ]);
    expect(MANIFEST.find((d) => d.kind === 'Service')).toBeDefined();
  });

  it.skipIf(!canNamespace)("the image's CMD, exactly, as PID 1 and as an unprivileged user: probes answer, SIGTERM ends it with 0", async () => {
    // /app as the image has it: node_modules/taskdaemon is the package (a copy nobody can read, like the image's).
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-image-'));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(nobodyReadable().root, path.join(dir, 'node_modules', 'taskdaemon'));
    const node = nobodyReadable().node;
    // A network namespace of its own (the image's ports cannot clash with this machine's); `lo` up, then the CMD is PID 1.
    const setup = `ip link set lo up && exec ${AS_NOBODY.join(' ')} "$@"`;
    app = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--net', 'sh', '-c', setup, 'sh', ...CMD], {
      cwd: dir,
      env: { PATH: `${path.dirname(node)}:/usr/sbin:/usr/bin:/sbin:/bin`, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    app.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    app.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = once(app, 'exit');
    await waitFor(() => / 1 app-ready /.test(output), 15_000, () => `the app to be ready:\n${output}`);
    // PID 1 inside, as the host sees it: unshare's only child.
    const pid1 = Number(fs.readFileSync(`/proc/${app.pid}/task/${app.pid}/children`, 'utf8').trim());
    expect(fs.readFileSync(`/proc/${pid1}/status`, 'utf8')).toMatch(/^Uid:\s+65534\s/m);

    // What the kubelet would ask, from inside the pod's network namespace.
    const ask = (p: string): { status: number; body: unknown } => {
      const r = spawnSync('nsenter', ['--target', String(pid1), '--net', node, '-e', `fetch('http://127.0.0.1:${option(CMD, '--health-port')}${p}').then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.json() })))`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`GET ${p} from the pod's network failed: ${r.stderr}\n${output}`);
      return JSON.parse(r.stdout) as { status: number; body: unknown };
    };
    expect(ask('/ready')).toEqual({ status: 200, body: { ready: true, phase: 'ready' } });
    expect(ask('/health')).toEqual({ status: 200, body: { ok: true, phase: 'ready' } });

    process.kill(pid1, 'SIGTERM');
    const [code] = await exited;
    expect(code, output).toBe(0);
    expect(output).toMatch(/draining 0 request\(s\) served/); // the app's own graceful shutdown ran
    expect(output).toMatch(/ 1 app-exit pid \d+ exited with code 0; exit 0/);
  });
});
