// Reading service files the way the tests compare them: a rendered file is
// "the shipped one + these changes", so the tests name the changes, and
// everything they do not name must be the shipped line, unchanged.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './cli';

export function shipped(file: string): string {
  return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

/** "Section.Key" -> its values in order, comments and blank lines left out. */
export function directives(unit: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let section = '';
  for (const line of unit.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const head = /^\[(\w+)\]$/.exec(line);
    if (head) {
      section = head[1]!;
      continue;
    }
    const i = line.indexOf('=');
    const key = `${section}.${line.slice(0, i)}`;
    m.set(key, [...(m.get(key) ?? []), line.slice(i + 1)]);
  }
  return m;
}

/** The directives whose values differ, with the rendered values ([] for a removed one). */
export function changedDirectives(from: string, to: string): { [key: string]: string[] } {
  const a = directives(from);
  const b = directives(to);
  const out: { [key: string]: string[] } = {};
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key) ?? [];
    const y = b.get(key) ?? [];
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) out[key] = y;
  }
  return out;
}

export interface Hunk {
  from: string[];
  to: string[];
}

/** The changes that turn `a` into `b`, line by line (a longest-common-subsequence diff). */
export function lineHunks(a: string, b: string): Hunk[] {
  const x = a.split('\n');
  const y = b.split('\n');
  // lcs[i][j]: the longest common subsequence of x[i..] and y[j..]
  const lcs = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const hunks: Hunk[] = [];
  let cur: Hunk | null = null;
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      cur = null;
      i++;
      j++;
      continue;
    }
    if (!cur) hunks.push((cur = { from: [], to: [] }));
    if (j >= y.length || (i < x.length && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) cur.from.push(x[i++]!);
    else cur.to.push(y[j++]!);
  }
  return hunks;
}
