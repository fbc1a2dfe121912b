// taskdaemon list: every daemon in the pid directory, as a table like
// `pm2 ls` on a terminal (plain columns when piped) or one JSON array with
// --json. Exit 0 whatever the daemons' states: it reports, it does not judge.
import * as path from 'node:path';
import { listDaemons, type ListedDaemon, type ListedState } from '../../control/client/list';
import { EXIT } from '../../exit-codes';
import { TaskdaemonError } from '../../errors';
import { parseDuration } from '../../duration';
import { native } from '../../native';
import { defaultRunDir } from '../../paths';
import * as fs from 'node:fs';
import { color, isatty, json, out } from '../output';

export interface ListFlags {
  dir?: string;
  timeout?: string;
  json?: boolean;
}

const STATE_COLOR: { [s in ListedState]: number } = { running: 32, starting: 33, reloading: 33, stopping: 33, dead: 31, failed: 31, stopped: 90, unknown: 35 };

function listDir(dir: string | undefined): string {
  if (dir === undefined) return defaultRunDir();
  const abs = path.resolve(dir);
  let isDir = false;
  try {
    isDir = fs.statSync(abs).isDirectory();
  } catch {
    /* missing */
  }
  if (!isDir) throw new TaskdaemonError(`invalid --dir '${dir}': not a directory`, { exitCode: EXIT.INVALID_ARGS, code: 'ERR_NO_SUCH_DIR', key: 'dir' });
  return abs;
}

const users = new Map<number, string>();
function userName(uid: number | null): string {
  if (uid === null) return '-';
  if (!users.has(uid)) {
    const pw = native().lookupUser(String(uid));
    users.set(uid, typeof pw === 'object' && pw !== null ? pw.name : String(uid));
  }
  return users.get(uid)!;
}

function uptime(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return '0s';
  const s = Math.floor(ms / 1000);
  // pm2's shape: the largest unit only.
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86400 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}D`;
}

function memory(bytes: number | null): string {
  if (bytes === null) return '-';
  return bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)}gb` : bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)}mb` : `${Math.round(bytes / 1024)}kb`;
}

const HEAD = ['name', 'pid', 'state', 'uptime', '↺', 'cpu', 'mem', 'user', 'version'];

function cells(d: ListedDaemon): string[] {
  const state = d.answered === false ? `${d.state}?` : d.state;
  return [d.name, d.pid === null ? '-' : String(d.pid), state, uptime(d.uptimeMs), d.restarts === null ? '-' : String(d.restarts), d.cpuPercent === null ? '-' : `${d.cpuPercent}%`, memory(d.rssBytes), userName(d.uid), d.version ?? '-'];
}

// The rows in aligned columns; on a terminal inside a box, as pm2 draws it.
function table(rows: ListedDaemon[], boxed: boolean): string {
  const body = rows.map(cells);
  const width = HEAD.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const pad = (r: string[], paint: (text: string, col: number, row: number) => string, row: number): string[] => r.map((c, i) => paint(c, i, row) + ' '.repeat(width[i]! - c.length));
  const paint = (text: string, col: number, row: number): string => (col === 2 && row >= 0 ? color(1, STATE_COLOR[rows[row]!.state], text) : text);
  const lines = [pad(HEAD, (t) => t, -1), ...body.map((r, i) => pad(r, paint, i))];
  if (!boxed) return lines.map((l) => l.join('  ').trimEnd()).join('\n');
  const rule = (l: string, m: string, r: string): string => l + width.map((w) => '─'.repeat(w + 2)).join(m) + r;
  return [rule('┌', '┬', '┐'), `│ ${lines[0]!.join(' │ ')} │`, rule('├', '┼', '┤'), ...lines.slice(1).map((l) => `│ ${l.join(' │ ')} │`), rule('└', '┴', '┘')].join('\n');
}

export async function listCommand(f: ListFlags): Promise<number> {
  const dir = listDir(f.dir);
  const timeoutMs = parseDuration(f.timeout ?? 1, '--timeout');
  const rows = await listDaemons({ dir, timeoutMs });
  if (f.json) {
    json(rows);
    return EXIT.OK;
  }
  if (!rows.length) {
    out(`no daemons in ${dir}`);
    return EXIT.OK;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  out(table(rows, isatty(1)));
  for (const d of rows) if (d.note) out(`${d.name}: ${d.note}`);
  return EXIT.OK;
}
