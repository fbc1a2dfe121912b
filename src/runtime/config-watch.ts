// Hot reload on config change: a change to the watched file triggers the same
// reload path as SIGHUP, debounced so an editor's burst of writes is one
// reload. The directory is watched (editors replace files by rename); where
// inotify is unavailable, polling takes over.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from './logger';

export interface Watcher {
  close(): void;
}

export function watchConfig(file: string, onChange: () => void, log: Logger, debounceMs = 200): Watcher {
  let timer: NodeJS.Timeout | undefined;
  const fire = (): void => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
    timer.unref();
  };
  const base = path.basename(file);
  try {
    const w = fs.watch(path.dirname(file), { persistent: false }, (_event, name) => {
      if (name === null || name === base) fire();
    });
    w.on('error', (err) => log.warn('watch-error', `${file}: ${err.message}`));
    log.info('watching', file);
    return {
      close: () => {
        clearTimeout(timer);
        w.close();
      },
    };
  } catch (err) {
    log.warn('watch-fallback', `${file}: ${(err as Error).message}; polling every second instead`);
    // Our own poll from a first look taken now, before readiness: fs.watchFile
    // takes its first stat in the thread pool, and a file created before that
    // stat came back (right after `start` returned) was never seen as a change.
    const look = (): string => {
      try {
        const st = fs.statSync(file, { throwIfNoEntry: false });
        return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'missing';
      } catch (e) {
        return (e as NodeJS.ErrnoException).code ?? 'unreadable';
      }
    };
    let last = look();
    const poll = setInterval(() => {
      const now = look();
      if (now === last) return;
      last = now;
      fire();
    }, 1000);
    poll.unref();
    return {
      close: () => {
        clearTimeout(timer);
        clearInterval(poll);
      },
    };
  }
}
