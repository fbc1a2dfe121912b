// A private directory per test with its own pidfile and log, a unique tag in
// the daemon's argv, and a cleanup that leaves no process or file behind even
// when the test failed.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { alive, descendantsOf, pidsWith, waitFor } from './proc';

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
  // The run's id at the end marks a daemon as this run's (leftovers.ts): its environment is cleaned.
  const tag = `tag-${randomUUID()}-run${process.env.TD_TEST_RUN ?? ''}`;
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
      // The tagged processes and what they started (a `sh -c 'sleep …' TAG` leaves an untagged sleep).
      const tagged = pidsWith(tag);
      for (const pid of [...tagged, ...descendantsOf(tagged)]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await waitFor(() => [...tagged, ...pidsWith(tag)].every((p) => !alive(p)), 5_000, `processes tagged ${tag} to die`);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
