// The failure-mode suite (test/stress, RELIABILITY.md). `npm test` runs it in
// a bounded quick mode; `npm run test:stress` sets TD_STRESS=full for the
// counts RELIABILITY.md reports. Every test states what it tried, how many
// times, and what held, as one figure line (collected into TD_FIGURES when set).
import * as fs from 'node:fs';

export const FULL = process.env.TD_STRESS === 'full';

/** The count for this mode: small in `npm test`, the published one in `npm run test:stress`. */
export function count(quick: number, full: number): number {
  return FULL ? full : quick;
}

export interface Figure {
  /** RELIABILITY.md's item, e.g. "1 start races". */
  item: string;
  /** What was tried, in words. */
  tried: string;
  /** How many trials. */
  times: number;
  /** What held, in words and numbers ("exactly one daemon per round: 20/20"). */
  held: string;
}

export function figure(f: Figure): void {
  const line = JSON.stringify({ ...f, mode: FULL ? 'full' : 'quick', node: process.version, at: new Date().toISOString() });
  fs.writeSync(2, `figure: ${line}\n`);
  if (process.env.TD_FIGURES) fs.appendFileSync(process.env.TD_FIGURES, line + '\n');
}
