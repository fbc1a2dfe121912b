// Failure-mode suite, item 7: log rotation under load. Debian's logrotate
// rotates the log of a daemon writing 10,000 numbered lines a second, again
// and again, in both of its modes:
// - `create` + postrotate reopen (the snippet `install logrotate` renders):
//   rename, new file, SIGUSR2, and postrotate waits for the reopen. Lines the
//   daemon writes meanwhile still land in the renamed file: none may be lost.
// - `copytruncate`: logrotate copies the file, then truncates it while the
//   daemon keeps writing; what is written between the end of the copy and the
//   truncate is in neither file. The lines lost are counted and reported.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, td } from '../helpers/cli';
import { waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';
import { count, figure } from '../helpers/stress';

const hasLogrotate = spawnSync('logrotate', ['--version']).status === 0;
if (!hasLogrotate) console.warn('rotation-under-load: skipped, logrotate is not installed (.ci/run installs it)');

const RATE = 10_000; // lines per second
const ROTATIONS = count(3, 50);
const LINES_BETWEEN = 2_000; // each rotation waits until the current file holds this many more lines

let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

// Numbers of the complete lines of a file (a torn last line does not count).
function numbersIn(file: string): number[] {
  const raw = fs.readFileSync(file);
  const text = (file.endsWith('.gz') ? zlib.gunzipSync(raw) : raw).toString('utf8');
  const lines = text.split('\n').slice(0, -1);
  const out: number[] = [];
  for (const l of lines) {
    const m = /^line (\d+)$/.exec(l);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

// log.N(.gz) … log.1, log: oldest first.
function rotatedFiles(log: string): string[] {
  const dir = path.dirname(log);
  const base = path.basename(log);
  const numbered = fs
    .readdirSync(dir)
    .map((f) => ({ f, m: new RegExp(`^${base.replace(/\./g, '\\.')}\\.(\\d+)(\\.gz)?$`).exec(f) }))
    .filter((x) => x.m)
    .sort((a, b) => Number(b.m![1]) - Number(a.m![1]))
    .map((x) => path.join(dir, x.f));
  return [...numbered, log];
}

interface Tally {
  written: number;
  seen: number;
  lost: number;
  duplicated: number;
  inOrder: boolean;
  perRotation: number[];
}

// What the daemon wrote (its writer-done count) against what the files hold.
function tally(log: string, boundaries: number[][]): Tally {
  const files = rotatedFiles(log);
  const all = files.flatMap(numbersIn);
  const written = Number(/writer-done (\d+)/.exec(fs.readFileSync(log, 'utf8'))?.[1] ?? NaN);
  const unique = new Set(all);
  const inOrder = all.every((n, i) => i === 0 || n > all[i - 1]!);
  // Lines missing around each rotation: numbers between the last one before it and the first after.
  const missing = new Set<number>();
  for (let i = 0; i < written; i++) if (!unique.has(i)) missing.add(i);
  const perRotation = boundaries.map(([lo, hi]) => [...missing].filter((n) => n >= lo! && n <= hi!).length);
  return { written, seen: unique.size, lost: written - unique.size, duplicated: all.length - unique.size, inOrder, perRotation };
}

async function startWriter(s: Sandbox): Promise<number> {
  const r = await td(['start', path.join(FIXTURES, 'writer.js'), ...s.flags, '--no-state-file', '--', s.tag, `--rate=${RATE}`]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return s.readPid()!;
}

// Rotate ROTATIONS times, each once the live file has grown by LINES_BETWEEN
// lines; returns, per rotation, the range of line numbers written around it.
async function rotateUnderLoad(s: Sandbox, conf: string): Promise<number[][]> {
  const state = path.join(s.dir, 'logrotate.state');
  const lineBytes = `line ${RATE * 60}\n`.length;
  const boundaries: number[][] = [];
  for (let i = 0; i < ROTATIONS; i++) {
    await waitFor(() => fs.existsSync(s.log) && fs.statSync(s.log).size >= LINES_BETWEEN * lineBytes, 20_000, `${LINES_BETWEEN} lines before rotation ${i + 1}`);
    const before = numbersIn(s.log).at(-1) ?? 0;
    const r = spawnSync('logrotate', ['-f', '-s', state, conf], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    await waitFor(() => fs.existsSync(s.log) && numbersIn(s.log).length > 0, 20_000, `lines after rotation ${i + 1}`);
    boundaries.push([before, numbersIn(s.log)[0]!]);
  }
  return boundaries;
}

describe('rotation under load (item 7)', () => {
  it.skipIf(!hasLogrotate)(`logrotate create + reopen under a ${RATE} lines/s writer: no line lost`, { timeout: 600_000 }, async () => {
    sb = sandbox();
    await startWriter(sb);
    const rendered = await td(['install', 'logrotate', sb.name, '--stdout', sb.log, '--pidfile', sb.pidfile]);
    expect(rendered.code).toBe(0);
    // The snippet as rendered, keeping every rotated file so every line can be counted.
    const conf = path.join(sb.dir, 'create.conf');
    fs.writeFileSync(conf, rendered.stdout.replace('\trotate 8\n', `\trotate ${ROTATIONS + 2}\n`), { mode: 0o644 });
    const boundaries = await rotateUnderLoad(sb, conf);
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);

    const t = tally(sb.log, boundaries);
    figure({
      item: '7 rotation under load (create)',
      tried: `logrotate -f with the rendered snippet (create 0640, delaycompress, postrotate reopen-logs) under a ${RATE.toLocaleString('en')} lines/s writer`,
      times: ROTATIONS,
      held: `${t.lost} of ${t.written.toLocaleString('en')} lines lost, ${t.duplicated} duplicated, order kept: ${t.inOrder}`,
    });
    expect(t.written).toBeGreaterThan(ROTATIONS * LINES_BETWEEN);
    expect(t.lost).toBe(0);
    expect(t.duplicated).toBe(0);
    expect(t.inOrder).toBe(true);
  });

  it.skipIf(!hasLogrotate)(`logrotate copytruncate under a ${RATE} lines/s writer: the lines lost are counted`, { timeout: 600_000 }, async () => {
    sb = sandbox();
    const pid = await startWriter(sb);
    const conf = path.join(sb.dir, 'copytruncate.conf');
    fs.writeFileSync(conf, `${sb.log} {\n\trotate ${ROTATIONS + 2}\n\tmissingok\n\tcopytruncate\n}\n`, { mode: 0o644 });
    const boundaries = await rotateUnderLoad(sb, conf);
    // copytruncate never asks the daemon to reopen: it writes through the same fd all along.
    expect(fs.readlinkSync(`/proc/${pid}/fd/1`)).toBe(sb.log);
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);

    const t = tally(sb.log, boundaries);
    const worst = Math.max(...t.perRotation);
    const mean = t.lost / ROTATIONS;
    figure({
      item: '7 rotation under load (copytruncate)',
      tried: `logrotate -f with copytruncate under a ${RATE.toLocaleString('en')} lines/s writer`,
      times: ROTATIONS,
      held:
        `${t.lost.toLocaleString('en')} of ${t.written.toLocaleString('en')} lines lost (${mean.toFixed(1)} per rotation, at most ${worst}; ` +
        `${t.perRotation.filter((n) => n > 0).length} of ${ROTATIONS} rotations lost some), ${t.duplicated} duplicated: ` +
        'what the daemon writes between the end of the copy and the truncate is in neither file',
    });
    // Whatever is lost, nothing is duplicated or reordered, and every loss sits at a rotation.
    expect(t.duplicated).toBe(0);
    expect(t.inOrder).toBe(true);
    expect(t.perRotation.reduce((a, b) => a + b, 0)).toBe(t.lost);
  });
});
