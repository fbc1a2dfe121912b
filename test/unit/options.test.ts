// Parsing and validation of start/run options: every bad value is a
// TaskdaemonError with exit code 2, found before anything is created.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskdaemonError } from '../../src/errors';
import { parseDuration, parseEnv, parseUmask, resolveOptions } from '../../src/options';
import { nameFromEntry } from '../../src/paths';
import { parsePid } from '../../src/pidfile';
import { encodeRecord, RecordParser } from '../../src/readiness';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'probe.js');

function code(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof TaskdaemonError ? e.exitCode : -1;
  }
  return undefined;
}

describe('options', () => {
  it('parses umasks as octal and rejects the rest', () => {
    expect(parseUmask('027')).toBe(0o27);
    expect(parseUmask('0')).toBe(0);
    expect(parseUmask('0777')).toBe(0o777);
    expect(parseUmask(0o22)).toBe(0o22);
    for (const bad of ['0999', '8', '01777', '-1', 'abc', '', '0o22']) expect(code(() => parseUmask(bad)), bad).toBe(2);
    expect(code(() => parseUmask(0o1000))).toBe(2);
  });

  it('parses durations in seconds, ms and minutes', () => {
    expect(parseDuration('30', 't')).toBe(30_000);
    expect(parseDuration('2.5', 't')).toBe(2_500);
    expect(parseDuration('500ms', 't')).toBe(500);
    expect(parseDuration('1m', 't')).toBe(60_000);
    expect(parseDuration(3, 't')).toBe(3_000);
    for (const bad of ['0', '-1', 'soon', '1h', '']) expect(code(() => parseDuration(bad, 't')), bad).toBe(2);
  });

  it('parses KEY=VALUE environment entries', () => {
    expect(parseEnv(['A=1', 'B=x=y', 'EMPTY='])).toEqual({ A: '1', B: 'x=y', EMPTY: '' });
    for (const bad of ['NOEQ', '=v', '1A=2', 'A-B=1']) expect(code(() => parseEnv([bad])), bad).toBe(2);
  });

  it('derives names from entries', () => {
    expect(nameFromEntry('examples/http-server.js')).toBe('http-server');
    expect(nameFromEntry('/srv/api/index.mjs')).toBe('api');
    expect(nameFromEntry('worker.cjs')).toBe('worker');
  });

  it('resolves defaults and rejects bad names and entries', () => {
    const o = resolveOptions({ entry: FIXTURE });
    expect(o.name).toBe('probe');
    expect(o.umask).toBe(0o22);
    expect(o.cwd).toBe('/');
    expect(o.readyTimeoutMs).toBe(60_000);
    expect(o.stderr).toBe(o.stdout);
    expect(code(() => resolveOptions({ entry: FIXTURE, name: '../etc' }))).toBe(2);
    expect(code(() => resolveOptions({ entry: '/no/such/entry.js' }))).toBe(5);
    expect(code(() => resolveOptions({ entry: path.dirname(FIXTURE) }))).toBe(5);
  });

  it('reads pids strictly', () => {
    expect(parsePid('123\n')).toBe(123);
    expect(parsePid(' 42 ')).toBe(42);
    for (const bad of ['', '0', '-5', '12abc', '1 2', '99999999999']) expect(parsePid(bad), bad).toBe(null);
  });
});

describe('readiness records', () => {
  it('round-trip through a byte stream split anywhere', () => {
    const text = encodeRecord({ READY: 1, MAINPID: 42 }) + encodeRecord({ ERROR: 'line one\nline two \\ end' });
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new RecordParser();
      const recs = [...p.feed(text.slice(0, cut)), ...p.feed(text.slice(cut))];
      expect(recs.map((r) => Object.fromEntries(r))).toEqual([{ READY: '1', MAINPID: '42' }, { ERROR: 'line one\nline two \\ end' }]);
    }
  });
});
