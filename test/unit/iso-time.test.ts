// isoTime must be toISOString's exact text for every time a log line or a
// status report can carry; seeded, so every run checks the same times.
import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/iso-time';

// mulberry32: a small seeded generator, the same sequence every run.
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('isoTime', () => {
  it('is toISOString for 100,000 times from year 1000 to 9999, and for the edges', () => {
    const lo = Date.UTC(1000, 0, 1);
    const hi = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    const rand = seeded(20261202);
    const times = [lo, hi, 0, Date.UTC(2000, 1, 29, 12, 0, 0, 5), Date.UTC(2026, 11, 31, 23, 59, 59, 99), Date.now()];
    for (let i = 0; i < 100_000; i++) times.push(Math.floor(lo + rand() * (hi - lo)));
    const wrong = times.filter((t) => isoTime(t) !== new Date(t).toISOString());
    expect(wrong.map((t) => [isoTime(t), new Date(t).toISOString()])).toEqual([]);
  });

  it('is now by default', () => {
    const before = Date.now();
    const t = Date.parse(isoTime());
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});
