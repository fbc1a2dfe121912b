// Where ctx.state is kept, prepared by the caller before any privilege drop.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedOptions } from './options';

// The state file's directory must be writable by the daemon's user: the
// default per-daemon directory is created for it (mode 0700, like systemd's
// StateDirectory=); a --state-file elsewhere is the operator's to prepare.
export function prepareStateDir(o: ResolvedOptions): void {
  if (!o.stateFile) return;
  const dir = path.dirname(o.stateFile);
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  if (!o.stateDirIsDefault) return;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const c = o.credentials;
  if (c && c.uid >= 0) fs.chownSync(dir, c.uid, c.gid >= 0 ? c.gid : -1);
}
