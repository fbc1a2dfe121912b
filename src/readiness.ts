// The readiness channel between `start` and its daemon (daemon(7) step 14).
// Records use sd_notify's format (KEY=VALUE lines) and end with a blank line,
// since a pipe is a byte stream; values escape "\" and newlines.
// Native code writes STEP=/ERRNO= and MAINPID= records the same way.
import * as fs from 'node:fs';
import * as net from 'node:net';

export type Record = Map<string, string>;

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function unescapeValue(v: string): string {
  return v.replace(/\\(n|\\)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

export function encodeRecord(fields: { [key: string]: string | number }): string {
  let out = '';
  for (const [k, v] of Object.entries(fields)) out += `${k}=${escapeValue(String(v))}\n`;
  return out + '\n';
}

export class RecordParser {
  private buf = '';
  feed(chunk: string): Record[] {
    this.buf += chunk;
    const out: Record[] = [];
    let end: number;
    while ((end = this.buf.indexOf('\n\n')) !== -1) {
      const text = this.buf.slice(0, end);
      this.buf = this.buf.slice(end + 2);
      const rec: Record = new Map();
      for (const line of text.split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) rec.set(line.slice(0, eq), unescapeValue(line.slice(eq + 1)));
      }
      if (rec.size) out.push(rec);
    }
    return out;
  }
}

// Daemon side: one synchronous write, so the record is out before we go on.
export function sendRecord(fd: number, fields: { [key: string]: string | number }): void {
  const data = Buffer.from(encodeRecord(fields));
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off);
}

export type Outcome =
  | { kind: 'ready'; pid: number | null; records: Record[] }
  | { kind: 'error'; pid: number | null; records: Record[]; error: Record }
  | { kind: 'eof'; pid: number | null; records: Record[] }
  | { kind: 'timeout'; pid: number | null; records: Record[] };

// Starter side: reads the pipe from the daemon until READY=1, an error record,
// end of file, or a timeout; then can wait for the daemon to close its end.
export class ReadinessReader {
  private readonly sock: net.Socket;
  private readonly parser = new RecordParser();
  private readonly records: Record[] = [];
  private pid: number | null = null;
  private eof = false;
  private wake: (() => void) | null = null;

  constructor(readFd: number) {
    this.sock = new net.Socket({ fd: readFd, readable: true, writable: false });
    this.sock.setEncoding('utf8');
    this.sock.on('data', (chunk: string) => {
      for (const rec of this.parser.feed(chunk)) {
        this.records.push(rec);
        const mainpid = rec.get('MAINPID');
        if (mainpid && /^\d+$/.test(mainpid)) this.pid = Number(mainpid);
      }
      this.wake?.();
    });
    const end = (): void => {
      this.eof = true;
      this.wake?.();
    };
    this.sock.on('end', end);
    this.sock.on('error', end);
  }

  private check(): Outcome | null {
    const base = { pid: this.pid, records: this.records };
    for (const rec of this.records) {
      if (rec.has('ERRNO') || rec.has('ERROR')) return { kind: 'error', ...base, error: rec };
      if (rec.get('READY') === '1') return { kind: 'ready', ...base };
    }
    return this.eof ? { kind: 'eof', ...base } : null;
  }

  private until<T>(test: () => T | null, timeoutMs: number, onTimeout: () => T): Promise<T> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve(onTimeout());
      }, timeoutMs);
      this.wake = () => {
        const r = test();
        if (r === null) return;
        clearTimeout(timer);
        this.wake = null;
        resolve(r);
      };
      this.wake();
    });
  }

  outcome(timeoutMs: number): Promise<Outcome> {
    return this.until(() => this.check(), timeoutMs, () => ({ kind: 'timeout', pid: this.pid, records: this.records }));
  }

  // True once every holder of the write end (the daemon) has closed it.
  closed(timeoutMs: number): Promise<boolean> {
    return this.until(() => (this.eof ? true : null), timeoutMs, () => false);
  }

  get daemonPid(): number | null {
    return this.pid;
  }

  close(): void {
    this.sock.destroy();
  }
}
