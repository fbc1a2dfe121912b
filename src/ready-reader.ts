// The starter's end of the readiness pipe: waits for the daemon's READY=1,
// an error record, end of file, or a timeout (DESIGN.md §2, last step).
// Plain fs.read on the pipe, not a net.Socket: `start` then never loads node:net
// and the stream classes (~3 ms of every start, bench/RESULTS.md).
import * as fs from 'node:fs';
import { RecordParser, type Record } from './readiness';

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
  private readonly decoder = new TextDecoder();
  private readonly records: Record[] = [];
  private pid: number | null = null;
  private eof = false;
  private abandoned = false;
  private wake: (() => void) | null = null;

  constructor(private readonly fd: number) {
    this.readNext();
  }

  // One read in flight at a time, in libuv's thread pool. The fd is closed only
  // once no read is pending, so a read can never land on a reused fd number.
  private readNext(): void {
    const buf = Buffer.allocUnsafe(4096);
    fs.read(this.fd, buf, 0, buf.length, null, (err, n) => {
      if (err || n === 0 || this.abandoned) return this.ended();
      for (const rec of this.parser.feed(this.decoder.decode(buf.subarray(0, n), { stream: true }))) {
        this.records.push(rec);
        const mainpid = rec.get('MAINPID');
        if (mainpid && /^\d+$/.test(mainpid)) this.pid = Number(mainpid);
      }
      this.wake?.();
      this.readNext();
    });
  }

  private ended(): void {
    this.eof = true;
    fs.close(this.fd, () => {});
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

  // Stops reading. The read in flight ends at the daemon's end of file, which
  // comes right after READY=1 (the daemon closes its end) or when it exits.
  close(): void {
    this.abandoned = true;
  }
}
