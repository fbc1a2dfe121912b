// The starter's end of the readiness pipe: waits for the daemon's READY=1,
// an error record, end of file, or a timeout (DESIGN.md §2, last step).
// poll(2) and read(2) on the pipe, not a net.Socket: `start` then never loads
// node:net and the stream classes (~3 ms of every start, bench/RESULTS.md).
// See: man 2 poll
import * as fs from 'node:fs';
import { native } from './native';
import { RecordParser, type Record } from './readiness';

// libuv joins its pool threads when the process exits, so a poll must never
// outlast the reader by much: a reader given up while something still holds
// the pipe's write end delays the exit by one slice at most, never forever.
const POLL_SLICE_MS = 250;

export type Outcome =
  | { kind: 'ready'; pid: number | null; records: Record[] }
  | { kind: 'error'; pid: number | null; records: Record[]; error: Record }
  | { kind: 'eof'; pid: number | null; records: Record[] }
  | { kind: 'timeout'; pid: number | null; records: Record[] }
  | { kind: 'interrupted'; pid: number | null; records: Record[] };

// Starter side: reads the pipe from the daemon until READY=1, an error record,
// end of file, or a timeout; then can wait for the daemon to close its end.
export class ReadinessReader {
  private readonly parser = new RecordParser();
  // Bytes up to the last complete record; "\n\n" never occurs inside a UTF-8
  // sequence, so records decode whole (no TextDecoder: its ICU set-up costs ms).
  private pending = Buffer.alloc(0);
  private readonly records: Record[] = [];
  private pid: number | null = null;
  private eof = false;
  private abandoned = false;
  private wake: (() => void) | null = null;

  constructor(private readonly fd: number) {
    void this.readLoop();
  }

  // The addon's pidfdWait is poll(2) for POLLIN on any fd, in libuv's thread
  // pool; after it reports the pipe readable (or closed) a read cannot block.
  // Reading stops at end of file, or at READY=1: nothing after it matters, and
  // no poll is then left in flight when `start` exits.
  private async readLoop(): Promise<void> {
    const n = native();
    const buf = Buffer.allocUnsafe(4096);
    while (!this.abandoned && this.check()?.kind !== 'ready') {
      const ready = await n.pidfdWait(this.fd, POLL_SLICE_MS);
      if (ready === 0 || this.abandoned) continue;
      let got = 0;
      try {
        if (ready > 0) got = fs.readSync(this.fd, buf, 0, buf.length, null);
      } catch {
        got = 0; // EIO and friends end the channel like end of file
      }
      if (got === 0) break;
      this.pending = Buffer.concat([this.pending, buf.subarray(0, got)]);
      const end = this.pending.lastIndexOf('\n\n') + 2;
      if (end < 2) continue;
      const complete = this.pending.toString('utf8', 0, end);
      this.pending = this.pending.subarray(end);
      for (const rec of this.parser.feed(complete)) {
        this.records.push(rec);
        const mainpid = rec.get('MAINPID');
        if (mainpid && /^\d+$/.test(mainpid)) this.pid = Number(mainpid);
      }
      this.wake?.();
    }
    fs.closeSync(this.fd);
    if (this.check()?.kind === 'ready') return;
    this.eof = true;
    this.wake?.();
  }

  private check(): Outcome | null {
    const base = { pid: this.pid, records: this.records };
    for (const rec of this.records) {
      if (rec.has('ERRNO') || rec.has('ERROR')) return { kind: 'error', ...base, error: rec };
      if (rec.get('READY') === '1') return { kind: 'ready', ...base };
    }
    return this.eof ? { kind: 'eof', ...base } : null;
  }

  private until<T>(test: () => T | null, timeoutMs: number, onTimeout: () => T, abort?: { signal: AbortSignal; value: () => T }): Promise<T> {
    return new Promise((resolve) => {
      const done = (r: T): void => {
        clearTimeout(timer);
        abort?.signal.removeEventListener('abort', onAbort);
        this.wake = null;
        resolve(r);
      };
      const onAbort = (): void => done(abort!.value());
      const timer = setTimeout(() => done(onTimeout()), timeoutMs);
      abort?.signal.addEventListener('abort', onAbort, { once: true });
      this.wake = () => {
        const r = test();
        if (r !== null) done(r);
      };
      this.wake();
      if (abort?.signal.aborted) onAbort();
    });
  }

  outcome(timeoutMs: number, signal?: AbortSignal): Promise<Outcome> {
    const base = (): { pid: number | null; records: Record[] } => ({ pid: this.pid, records: this.records });
    return this.until(
      () => this.check(),
      timeoutMs,
      () => ({ kind: 'timeout', ...base() }),
      signal ? { signal, value: () => ({ kind: 'interrupted', ...base() }) } : undefined,
    );
  }

  // True once every holder of the write end (the daemon) has closed it.
  closed(timeoutMs: number): Promise<boolean> {
    return this.until(() => (this.eof ? true : null), timeoutMs, () => false);
  }

  get daemonPid(): number | null {
    return this.pid;
  }

  // Stops reading; the fd is closed when the poll in flight returns.
  close(): void {
    this.abandoned = true;
  }
}
