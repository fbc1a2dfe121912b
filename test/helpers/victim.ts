// Unrelated live processes (test/fixtures/victim.js) that taskdaemon must
// never signal, and an exact account of every signal they received.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from './cli';
import { mainThreadChildren } from './kill-moment';
import { alive, procState, waitFor } from './proc';

const VICTIM = path.join(FIXTURES, 'victim.js');

export interface Victim {
  /** The recording process (under `wrap`, the wrapper's child). */
  pid: number;
  /** The wrapper's pid (flock(1)), or the victim's own. */
  outer: number;
  /** Signals received so far, and "died" or "stopped" when that happened. */
  received(): Promise<string[]>;
}

/**
 * Starts a victim tagged `tag` (so the sandbox's cleanup kills it).
 * `wrap`: a command to run it under, e.g. flock(1) holding a lock it inherits.
 */
export async function spawnVictim(dir: string, tag: string, opts: { wrap?: string[]; hold?: string } = {}): Promise<Victim> {
  const record = fs.mkdtempSync(path.join(dir, 'victim-')) + '/signals';
  fs.writeFileSync(record, '');
  const argv = [...(opts.wrap ?? []), process.execPath, VICTIM, record, tag, ...(opts.hold ? [`--hold=${opts.hold}`] : [])];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  child.on('error', () => {});
  const outer = child.pid!;
  await waitFor(() => fs.readFileSync(record, 'utf8').includes('ready'), 20_000, 'the victim to start');
  const pid = opts.wrap ? mainThreadChildren(outer)[0]! : outer;
  let sentinels = 0;
  return {
    pid,
    outer,
    async received() {
      const out: string[] = [];
      for (const p of new Set([pid, outer])) {
        const st = procState(p);
        if (st === null || st === 'Z' || !alive(p)) out.push(`${p} died`);
        else if (st === 'T' || st === 't') out.push(`${p} stopped`);
      }
      if (out.length) return out;
      // Standard signals are taken lowest number first: once our SIGWINCH (28)
      // is recorded, anything sent before it (HUP 1 ... TERM 15) is recorded too.
      sentinels++;
      process.kill(pid, 'SIGWINCH');
      const lines = (): string[] => fs.readFileSync(record, 'utf8').split('\n').filter(Boolean);
      await waitFor(() => lines().filter((l) => l === 'SIGWINCH').length >= sentinels, 10_000, 'the victim to record its sentinel');
      return lines().filter((l) => l !== 'ready' && l !== 'SIGWINCH');
    },
  };
}
