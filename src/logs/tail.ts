// Reading a log like tail(1): the last N lines, read backwards from the end,
// and `tail -F` following that survives rotation (rename + new file) and
// truncation without losing or repeating a line.
import * as fs from 'node:fs';
import * as path from 'node:path';

const CHUNK = 64 * 1024;
const POLL_MS = 250;
const NL = 0x0a;

// The last n lines of a file, without their newlines. A final line without a
// newline counts as a line. Throws ENOENT when the file is missing.
export function tailLines(file: string, n: number): string[] {
  const fd = fs.openSync(file, 'r');
  try {
    return lastLines(fd, fs.fstatSync(fd).size, n);
  } finally {
    fs.closeSync(fd);
  }
}

function lastLines(fd: number, end: number, n: number): string[] {
  if (n <= 0 || end === 0) return [];
  // The newline ending the last line does not start another one.
  const body = readAt(fd, end - 1, 1)[0] === NL ? end - 1 : end;
  const start = afterNewlines(fd, body, n);
  return readAt(fd, start, body - start).toString('utf8').split('\n');
}

// The offset just after the count-th newline before `end`, or 0 if fewer.
function afterNewlines(fd: number, end: number, count: number): number {
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let pos = end; pos > 0 && count > 0; ) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    let i = fs.readSync(fd, buf, 0, len, pos);
    while (i > 0 && (i = buf.lastIndexOf(NL, i - 1)) >= 0) {
      if (--count === 0) return pos + i + 1;
    }
  }
  return count > 0 ? 0 : end;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break; // truncated meanwhile
    got += n;
  }
  return buf.subarray(0, got);
}

/** What happened to the followed path; worth telling the user. */
export type FollowEvent = 'missing' | 'appeared' | 'replaced' | 'truncated';

export interface FollowOptions {
  /** Stop following (the promise then resolves). */
  signal: AbortSignal;
  /** Complete lines already in the file to hand over first (default 0). */
  lines?: number;
  onEvent?: (event: FollowEvent) => void;
}

interface Followed {
  fd: number;
  dev: number;
  ino: number;
  pos: number;
}

// Follow `file` until the signal aborts, handing over complete lines in order.
// A partial line waits for its newline, or until the file is left or the
// follow stops. A missing file is waited for and then read from its start.
export function follow(file: string, onLines: (lines: string[]) => void, opts: FollowOptions): Promise<void> {
  const { signal } = opts;
  const buf = Buffer.allocUnsafe(CHUNK);
  let cur: Followed | null = null;
  let pending = Buffer.alloc(0);
  let watcher: fs.FSWatcher | null = null;
  let queued = false;
  let done = false;
  let settle!: (error?: unknown) => void;
  const result = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve() : reject(error));
  });

  // Whole lines of `bytes` go out now; the rest waits in `pending`.
  const take = (bytes: Buffer): void => {
    const last = bytes.lastIndexOf(NL);
    if (last < 0) {
      pending = Buffer.concat([pending, bytes]);
      return;
    }
    const text = Buffer.concat([pending, bytes.subarray(0, last)]).toString('utf8');
    pending = Buffer.from(bytes.subarray(last + 1)); // a copy: buf is reused
    onLines(text.split('\n'));
  };
  const flush = (): void => {
    if (pending.length === 0) return;
    const text = pending.toString('utf8');
    pending = Buffer.alloc(0);
    onLines([text]);
  };
  const drain = (f: Followed): void => {
    for (let got; (got = fs.readSync(f.fd, buf, 0, CHUNK, f.pos)) > 0; ) {
      f.pos += got;
      take(buf.subarray(0, got));
    }
  };

  const step = (): void => {
    watcher ??= watchDir(path.dirname(file), kick, () => (watcher = null));
    if (!cur) {
      cur = openFollowed(file);
      if (!cur) return;
      opts.onEvent?.('appeared');
    }
    drain(cur);
    const now = statOrNull(file);
    // Deleted, and nothing new yet: the writer may still append to the old file.
    if (!now) return;
    if (now.ino !== cur.ino || now.dev !== cur.dev) {
      // Rotated. Until the new file gets its first byte the writer may still be
      // on the old one (logrotate `create`, then SIGUSR2): keep reading that.
      if (now.size === 0) return;
      const next = openFollowed(file);
      if (!next) return;
      drain(cur);
      flush();
      fs.closeSync(cur.fd);
      cur = next;
      opts.onEvent?.('replaced');
      drain(cur);
    } else if (fs.fstatSync(cur.fd).size < cur.pos) {
      flush();
      cur.pos = 0;
      opts.onEvent?.('truncated');
      drain(cur);
    }
  };

  const finish = (error?: unknown): void => {
    if (done) return;
    done = true;
    clearInterval(timer);
    watcher?.close();
    signal.removeEventListener('abort', onAbort);
    try {
      if (error === undefined) flush();
    } catch (e) {
      error = e;
    }
    if (cur) fs.closeSync(cur.fd);
    settle(error);
  };
  const check = (): void => {
    if (done) return;
    try {
      step();
    } catch (e) {
      finish(e);
    }
  };
  // Directory events come once per write: one check per turn of the loop is enough.
  function kick(): void {
    if (queued) return;
    queued = true;
    setImmediate(() => {
      queued = false;
      check();
    });
  }
  // Read what is there before stopping.
  const onAbort = (): void => {
    check();
    finish();
  };

  // fs.watch misses changes on some filesystems (NFS, some overlays): poll too.
  const timer = setInterval(check, POLL_MS);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    cur = openFollowed(file);
    if (cur) {
      // Old lines end at the last newline; a partial line after it is read as new data.
      cur.pos = afterNewlines(cur.fd, fs.fstatSync(cur.fd).size, 1);
      const old = lastLines(cur.fd, cur.pos, opts.lines ?? 0);
      if (old.length > 0) onLines(old);
    } else {
      opts.onEvent?.('missing');
    }
    if (signal.aborted) onAbort();
    else check();
  } catch (e) {
    finish(e);
  }
  return result;
}

function openFollowed(file: string): Followed | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const st = fs.fstatSync(fd);
  return { fd, dev: st.dev, ino: st.ino, pos: 0 };
}

function statOrNull(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

// Watch the directory, not the file: a file watch stays on the old inode after a rename.
// Without a watch (no directory yet, or it went away) the poll carries on alone.
function watchDir(dir: string, onChange: () => void, onGone: () => void): fs.FSWatcher | null {
  try {
    const w = fs.watch(dir, onChange);
    w.on('error', () => {
      w.close();
      onGone();
    });
    return w;
  } catch {
    return null;
  }
}
