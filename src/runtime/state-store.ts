// ctx.state: JSON that survives restarts. Saved atomically (temp file, fsync,
// rename, fsync of the directory) so a crash leaves the old or the new state,
// never half of one; a corrupt file is moved aside and reported, never dropped.
// See: man 2 rename, man 2 fsync
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from './logger';
import { isoTime } from '../iso-time';

export type State = { [key: string]: unknown };

export class StateStore {
  /** True once a state file was found or written: only then is an empty state saved. */
  private existed = false;

  constructor(
    readonly file: string,
    private readonly log: Logger,
  ) {}

  load(): State {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    this.existed = true;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
      return value as State;
    } catch (err) {
      const aside = `${this.file}.corrupt-${isoTime().replace(/[:.]/g, '-')}`;
      fs.renameSync(this.file, aside);
      this.log.error('state-corrupt', `${this.file}: ${(err as Error).message}; moved to ${aside}, starting with empty state`);
      return {};
    }
  }

  save(state: State): void {
    if (!this.existed && Object.keys(state).length === 0) return; // nothing to keep: no file
    const dir = path.dirname(this.file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 }); // first save of a daemon that kept its ids
    const tmp = path.join(dir, `.${path.basename(this.file)}.${process.pid}.tmp`);
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(state, null, 2) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    this.existed = true;
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd); // the rename itself is durable only once the directory is
    } finally {
      fs.closeSync(dfd);
    }
  }
}
