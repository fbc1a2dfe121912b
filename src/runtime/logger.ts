// Lifecycle log lines, one per event: "time level pid event detail" (text) or
// one JSON object per line (json). Written synchronously to fd 2, the
// daemon's log, so no line is lost at exit; a write that fails (full disk) is
// counted by log-loss.ts, never thrown.
import { writeLog } from './log-loss';
import { isoTime } from '../iso-time';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';

export const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];

export interface Logger {
  /** Lines below this level are not written (--log-level; a reload or the program may change it). */
  level: Level;
  debug(event: string, detail?: string): void;
  info(event: string, detail?: string): void;
  warn(event: string, detail?: string): void;
  error(event: string, detail?: string): void;
  /** An info line written whatever the level: a change of the level itself. */
  notice(event: string, detail?: string): void;
}

export function formatLine(format: LogFormat, level: Level, event: string, detail: string | undefined, now = Date.now()): string {
  if (format === 'json') {
    return JSON.stringify({ time: isoTime(now), level, pid: process.pid, event, ...(detail !== undefined && { detail }) }) + '\n';
  }
  return `${isoTime(now)} ${level} ${process.pid} ${event}${detail ? ` ${detail.replace(/\n/g, '\\n')}` : ''}\n`;
}

export function createLogger(format: LogFormat = 'text', fd = 2, level: Level = 'info'): Logger {
  const logger: Logger = {
    level,
    debug: (e, d) => line('debug', e, d),
    info: (e, d) => line('info', e, d),
    warn: (e, d) => line('warn', e, d),
    error: (e, d) => line('error', e, d),
    notice: (e, d) => writeLog(fd, formatLine(format, 'info', e, d)),
  };
  const line = (at: Level, event: string, detail?: string): void => {
    if (LEVELS.indexOf(at) < LEVELS.indexOf(logger.level)) return;
    writeLog(fd, formatLine(format, at, event, detail));
  };
  return logger;
}
