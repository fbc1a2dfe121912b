// Lifecycle log lines: "time level pid event detail", one line per event,
// written synchronously to fd 2 (the daemon's log) so none is lost at exit.
import * as fs from 'node:fs';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(event: string, detail?: string): void;
  info(event: string, detail?: string): void;
  warn(event: string, detail?: string): void;
  error(event: string, detail?: string): void;
}

export function createLogger(fd = 2): Logger {
  const line = (level: Level, event: string, detail?: string): void => {
    const text = `${new Date().toISOString()} ${level} ${process.pid} ${event}${detail ? ` ${detail.replace(/\n/g, '\\n')}` : ''}\n`;
    try {
      fs.writeSync(fd, text);
    } catch {
      /* log gone (EPIPE, ENOSPC): nothing better to do */
    }
  };
  return {
    debug: (e, d) => line('debug', e, d),
    info: (e, d) => line('info', e, d),
    warn: (e, d) => line('warn', e, d),
    error: (e, d) => line('error', e, d),
  };
}
