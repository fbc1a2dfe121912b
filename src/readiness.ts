// The readiness channel between `start` and its daemon (daemon(7) step 14).
// Records use sd_notify's format (KEY=VALUE lines) and end with a blank line,
// since a pipe is a byte stream; values escape "\" and newlines.
// Native code writes STEP=/ERRNO= and MAINPID= records the same way. This
// module is loaded by every daemon, so it stays free of heavy imports.
import * as fs from 'node:fs';

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

