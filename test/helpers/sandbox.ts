// A private directory per test with its own pidfile and log, a unique tag in
// the daemon's argv, and a cleanup that leaves no process or file behind even
// when the test failed.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { alive, pidsWith, waitFor } from './proc';

export interface Sandbox {
  dir: string;
  name: string;
  tag: string;
  pidfile: string;
  log: string;
  stateFile: string;
  /** --name/--pidfile/--stdout/--state-file flags for this sandbox. */
  flags: string[];
  readPid(): number | null;
  readLog(): string;
  cleanup(): Promise<void>;
}

export function sandbox(prefix = 'td'): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.chmodSync(dir, 0o755); // a daemon that dropped to nobody may need to read here
  const tag = `tag-${randomUUID()}`;
  const name = `t${tag.slice(4, 12)}`;
  const pidfile = path.join(dir, `${name}.pid`);
  const log = path.join(dir, `${name}.log`);
  const stateFile = path.join(dir, 'state.json');
  return {
    dir,
    name,
    tag,
    pidfile,
    log,
    stateFile,
    flags: ['--name', name, '--pidfile', pidfile, '--stdout', log, '--state-file', stateFile],
    readPid() {
      try {
        const t = fs.readFileSync(pidfile, 'utf8').trim();
        return t ? Number(t) : null;
      } catch {
        return null;
      }
    },
    readLog() {
      try {
        return fs.readFileSync(log, 'utf8');
      } catch {
        return '';
      }
    },
    async cleanup() {
      for (const pid of pidsWith(tag)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await waitFor(() => pidsWith(tag).every((p) => !alive(p)), 5_000, `processes tagged ${tag} to die`);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
