// A full disk must not end a daemon. Node writes process.stdout/stderr to a
// file synchronously; on ENOSPC (or EDQUOT, EFBIG, EIO) the write throws, or
// the stream emits an 'error' nobody listens to, and the process dies at its
// next console.log. Here every write to the log (fds 1 and 2) that fails is
// counted instead: the status report shows the bytes lost, and the first write
// that succeeds again puts one line in the log saying how much is missing.
// See: man 2 write (ENOSPC, EDQUOT, EFBIG, EIO)
import * as fs from 'node:fs';
import { isoTime } from '../iso-time';

export interface LogLoss {
  /** Bytes that never reached the log, since the daemon started. */
  bytes: number;
  writes: number;
  /** The error code of the last failed write, e.g. "ENOSPC". */
  lastError: string | null;
}

interface Gap {
  bytes: number;
  writes: number;
  code: string;
  since: string;
}

const total: LogLoss = { bytes: 0, writes: 0, lastError: null };
// Lost since the last notice made it into the log.
let gap: Gap | null = null;
let noticeLine: ((g: Gap) => string) | null = null;
// A write cut short by the full disk leaves half a line: the notice starts a new one.
let midLine = false;

export function logLoss(): LogLoss {
  return { ...total };
}

/** The line written into the log once it takes writes again. */
export function onLogRecovered(line: (g: Gap) => string): void {
  noticeLine = line;
}

// Writes all of `data`, however many calls it takes; returns the bytes that did not go.
function writeFully(fd: number, data: Buffer): { left: number; code: string | null } {
  let off = 0;
  let code: string | null = null;
  while (off < data.length) {
    try {
      off += fs.writeSync(fd, data, off);
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      break;
    }
  }
  if (off > 0) midLine = data[off - 1] !== 0x0a;
  return { left: data.length - off, code };
}

function lose(bytes: number, code: string): void {
  total.bytes += bytes;
  total.writes++;
  total.lastError = code;
  gap ??= { bytes: 0, writes: 0, code, since: isoTime() };
  gap.bytes += bytes;
  gap.writes++;
  gap.code = code;
}

/** Writes to the log fd; never throws. Returns false if (some of) it was lost. */
export function writeLog(fd: number, data: string | Buffer): boolean {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  if (gap && noticeLine) {
    const notice = Buffer.from((midLine ? '\n' : '') + noticeLine(gap));
    const n = writeFully(fd, notice);
    if (n.code === null) gap = null;
    else {
      lose(buf.length, n.code);
      return false;
    }
  }
  const r = writeFully(fd, buf);
  if (r.code === null) return true;
  lose(r.left, r.code);
  return false;
}

// process.stdout and process.stderr are built on first use (DESIGN.md §7:
// building one costs ~8 ms), so wrap the getters: when a program first touches
// one that writes to a file, its writes go through writeLog instead of a bare
// fs.writeSync. Pipes and terminals keep Node's own stream.
function guard(name: 'stdout' | 'stderr', fd: 1 | 2): void {
  const desc = Object.getOwnPropertyDescriptor(process, name);
  if (!desc?.get || !desc.configurable) return;
  const original = desc.get;
  let checked = false;
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: desc.enumerable ?? true,
    get() {
      const stream = original.call(process) as NodeJS.WriteStream & { _write?: unknown };
      if (!checked) {
        checked = true;
        let isFile = false;
        try {
          isFile = fs.fstatSync(fd).isFile();
        } catch {
          /* closed: leave Node's stream as it is */
        }
        if (isFile && typeof stream._write === 'function') {
          stream._write = (chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void => {
            writeLog(fd, chunk);
            callback();
          };
        }
      }
      return stream;
    },
  });
}

export function guardStdio(): void {
  guard('stdout', 1);
  guard('stderr', 2);
}
