// One list of setup steps for C++ and TypeScript: native/steps.h. spawn.cc may
// name a failure only through it, generated/steps.js must be that header as it
// is now, and every step in it is one the code can report. (The compiled-in
// list of the built addon is checked against generated/steps.js in
// native-cases.cjs, on x64 and on the arm64 prebuild.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETUP_STEPS, setupStep } from '../../src/setup-steps';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (p: string): string => fs.readFileSync(path.join(ROOT, p), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parse } = require(path.join(ROOT, 'scripts', 'compile-steps.js')) as { parse(text: string): { id: string; name: string; syscall: string }[] };

describe('the setup step list', () => {
  it('generated/steps.js is native/steps.h as it is now', () => {
    expect(SETUP_STEPS.map((s) => ({ ...s }))).toEqual(parse(read('native/steps.h')));
    expect(setupStep('open(entry)')).toMatchObject({ id: 'OPEN_ENTRY', syscall: 'open' });
    expect(setupStep('nope')).toBeUndefined();
  });

  it('spawn.cc and child-spawn.cc report a failed step only as a Step of the list, and every step of the list is reported', () => {
    const spawn = read('native/spawn.cc');
    // The record is written in one place: Report(), which takes a Step.
    expect(spawn.match(/STEP=/g)).toHaveLength(1);
    expect(spawn).toMatch(/void Report\(int fd, Step step, int err\)/);
    const calls = [...spawn.matchAll(/\b(?:Fail\(s, |Report\(s\.ready_fd, )([^,]+),/g)].map((m) => m[1]!);
    // child-spawn.cc (supervised instances) names its failures from the same list.
    calls.push(...[...read('native/child-spawn.cc').matchAll(/\bChildFail\(s, ([^,]+),/g)].map((m) => m[1]!));
    expect(calls.length).toBeGreaterThan(10);
    const ids = new Set<string>(SETUP_STEPS.map((s) => s.id));
    const used = new Set<string>();
    for (const arg of calls) {
      // Fail() passing its Step on; a readable file's Step, checked to be an open step of the list.
      if (arg === 'step' || arg === 'r.second') continue;
      const id = /^Step::([A-Z0-9_]+)$/.exec(arg)?.[1];
      expect(id, `a step named outside the list: ${arg}`).toBeDefined();
      expect(ids.has(id!), `Step::${id} is not in native/steps.h`).toBe(true);
      used.add(id!);
    }
    // The open steps are the readable files TypeScript hands over (src/program-kind.ts's exec plan, src/daemonize.ts).
    const daemonize = read('src/daemonize.ts') + read('src/program-kind.ts');
    for (const s of SETUP_STEPS) {
      const reported = s.syscall === 'open' ? daemonize.includes(`step: '${s.name}'`) : used.has(s.id);
      expect(reported, `${s.name} is in the list but nothing reports it`).toBe(true);
    }
  });

  it('compile-steps refuses a header it cannot read line by line', () => {
    const header = (lines: string[]): string => `#define TD_SETUP_STEPS(TD_STEP) \\\n${lines.map((l) => `  ${l}`).join(' \\\n')}\n`;
    expect(parse(header(['TD_STEP(A, "a", "open")', 'TD_STEP(B, "b(x)", "write")']))).toEqual([
      { id: 'A', name: 'a', syscall: 'open' },
      { id: 'B', name: 'b(x)', syscall: 'write' },
    ]);
    expect(() => parse(header(['TD_STEP(A, "a", "open")', 'TD_STEP(B, "b")']))).toThrow(/not a TD_STEP\(ID, "name", "syscall"\) line: TD_STEP\(B, "b"\)/);
    expect(() => parse(header(['TD_STEP(A, "a", "open")', 'TD_STEP(B, "a", "open")']))).toThrow(/step name a appears twice/);
    expect(() => parse('#define OTHER 1\n')).toThrow(/no #define TD_SETUP_STEPS/);
  });
});
