// Runs commands through bench/lib/reaper.py, so every contender is spawned and
// waited for by the same code, under a prompt subreaper or with orphans left
// to PID 1. Times are CLOCK_MONOTONIC nanoseconds (the reaper's and
// process.hrtime's clock), turned into milliseconds here.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const REAPER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reaper.py');

/** Milliseconds on the reaper's clock (CLOCK_MONOTONIC), comparable with its t0/t1. */
export const monoMs = () => Number(process.hrtime.bigint()) / 1e6;

export class Launcher {
  /** @param {{ python: string, subreaper: boolean, dir: string }} o */
  static async open(o) {
    const l = new Launcher(o);
    await l.ready;
    return l;
  }

  constructor({ python, subreaper, dir }) {
    this.subreaper = subreaper;
    this.dir = dir;
    this.nextId = 1;
    this.waiting = new Map();
    this.orphanWaiters = new Map();
    this.proc = spawn(python, [REAPER, ...(subreaper ? ['--subreaper'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc.on('exit', (code, sig) => {
      for (const w of this.waiting.values()) w.reject(new Error(`reaper exited (${code ?? sig})`));
      this.waiting.clear();
    });
    this.ready = new Promise((resolve, reject) => {
      this.proc.once('error', reject);
      this.proc.once('exit', () => reject(new Error('reaper exited before it was ready')));
      readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
        const msg = JSON.parse(line);
        if ('ready' in msg) return resolve();
        if ('orphan' in msg) return this.onOrphan(msg);
        const w = this.waiting.get(msg.id);
        if ('spawned' in msg) return w?.spawned(msg);
        this.waiting.delete(msg.id);
        w?.resolve(msg);
      });
    });
  }

  onOrphan(msg) {
    this.orphanWaiters.get(msg.orphan)?.(msg.t / 1e6);
    this.orphanWaiters.delete(msg.orphan);
  }

  /** Call while pid still runs: resolves with the time the reaper reaps it (subreaper only, re-parented processes). */
  reaped(pid) {
    return new Promise((resolve) => this.orphanWaiters.set(pid, resolve));
  }

  /**
   * Runs argv to completion. Resolves { ms, t0, t1, code, signal, pid, out }.
   * Rejects when the exit code is not in okCodes (the output is in the message).
   */
  async run(argv, { env, okCodes = [0] } = {}) {
    const r = await this.start(argv, { env }).done;
    if (!okCodes.includes(r.code)) {
      throw new Error(`${argv.map((a) => path.basename(a)).slice(0, 4).join(' ')} … exited ${r.code ?? `by signal ${r.signal}`}${r.error ? `: ${r.error}` : ''}\n${r.out}`);
    }
    return r;
  }

  /**
   * Starts argv. `spawned` resolves { pid, t0 } once it runs; `done` resolves on
   * its exit with { ms, cpu, t0, t1, code, signal, pid, out } (no exit-code check).
   */
  start(argv, { env } = {}) {
    const id = this.nextId++;
    const out = path.join(this.dir, `out-${this.subreaper ? 's' : 'p'}-${id}.txt`);
    let onSpawn;
    const spawned = new Promise((r) => (onSpawn = r));
    const done = new Promise((resolve, reject) => {
      this.waiting.set(id, {
        spawned: (msg) => onSpawn({ pid: msg.spawned, t0: msg.t0 / 1e6 }),
        resolve: (msg) => {
          onSpawn({ pid: msg.pid, t0: msg.t0 / 1e6 }); // a failed spawn never ran
          let text = '';
          try {
            text = fs.readFileSync(out, 'utf8');
            fs.rmSync(out);
          } catch {}
          resolve({ ...msg, t0: msg.t0 / 1e6, t1: msg.t1 / 1e6, ms: (msg.t1 - msg.t0) / 1e6, out: text });
        },
        reject,
      });
    });
    if (process.env.BENCH_DEBUG) process.stderr.write(`launch ${id}: ${argv.map((a) => path.basename(a)).join(' ')}\n`);
    this.proc.stdin.write(JSON.stringify({ id, argv, env: env ?? process.env, out }) + '\n');
    return { spawned, done };
  }

  async close() {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.stdin.end();
    await exited;
  }
}
