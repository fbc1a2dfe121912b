// Where ctx.state is kept, prepared by the caller before any privilege drop.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedOptions } from './options';

// A daemon that keeps its ids creates its state directory itself, on the
// first save. One that drops to another user could not (the parent is root's),
// so the default per-daemon directory is made for it here, mode 0700 and owned
// by it, like systemd's StateDirectory=. A --state-file elsewhere is the
// operator's to prepare.
// Returns the directory if this call created it (a failed start removes it again).
export function prepareStateDir(o: ResolvedOptions): string | null {
  const c = o.credentials;
  if (!o.stateFile || !o.stateDirIsDefault || !c || c.uid < 0) return null;
  const dir = path.dirname(o.stateFile);
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  const created = !fs.existsSync(dir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chownSync(dir, c.uid, c.gid >= 0 ? c.gid : -1);
  return created ? dir : null;
}

/** Undo prepareStateDir after a failed start: only an empty directory it made. */
export function removeStateDir(dir: string | null): void {
  if (!dir) return;
  try {
    fs.rmdirSync(dir);
  } catch {
    /* the daemon wrote something there, or it is gone: leave it */
  }
}
