// exitAfterListeners (src/exit-now.ts): the same end as process.exit(code),
// every 'exit' listener run and the last process.exitCode kept, then _exit(2)
// at once instead of node's teardown; node's own exit when a profiler or
// coverage must write its file at exit.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

const hasStrace = spawnSync('strace', ['-V']).status === 0;
const EXIT_NOW = path.join(ROOT, 'dist', 'exit-now.js');
// Two listeners: one writes, one changes the exit code, then exitAfterListeners(3).
const SCRIPT = `
const fs = require('node:fs');
process.on('exit', () => fs.writeSync(1, 'first listener\\n'));
process.on('exit', () => { process.exitCode = 9; fs.writeSync(1, 'second listener\\n'); });
require(${JSON.stringify(EXIT_NOW)}).exitAfterListeners(3);
`;

let dir: string;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('exitAfterListeners', () => {
  it('runs every exit listener, keeps the exit code they set, writes all output', () => {
    const r = spawnSync(process.execPath, ['-e', SCRIPT], { encoding: 'utf8' });
    expect(r.stdout).toBe('first listener\nsecond listener\n');
    expect(r.status).toBe(9);
  });

  it.skipIf(!hasStrace)("then ends at once: exit_group(2) is the main thread's next syscall after the last listener's write", () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-exit-'));
    const trace = path.join(dir, 'trace');
    const r = spawnSync('strace', ['-o', trace, process.execPath, '-e', SCRIPT], { encoding: 'utf8' });
    expect(r.status).toBe(9);
    // npm run test:asan: the sanitizer runtime maps memory and queries the signal stack on the
    // addon's first calls; node's teardown would show close() and futex() here, which stay.
    const sanitizer = /^(mmap|munmap|mprotect|madvise|sigaltstack)\(/;
    const calls = fs.readFileSync(trace, 'utf8').split('\n').filter((l) => !(process.env.TD_TEST_ADDON && sanitizer.test(l)));
    const last = calls.findIndex((l) => l.startsWith('write(1, "second listener'));
    expect(last).toBeGreaterThan(0);
    expect(calls[last + 1]).toMatch(/^exit_group\(9\)/);
  });

  it.skipIf(!hasStrace)('node teardown is kept for --cpu-prof (the profile is written at exit)', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-exit-'));
    const trace = path.join(dir, 'trace');
    const r = spawnSync('strace', ['-o', trace, process.execPath, '--cpu-prof', '--cpu-prof-dir', dir, '-e', SCRIPT], { encoding: 'utf8' });
    expect(r.status).toBe(9);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(1);
  });
});
