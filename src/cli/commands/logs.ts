// taskdaemon logs: the last lines of a daemon's log, and with -f every new
// line after them, across logrotate's rename and truncation (like tail -F).
import { EXIT } from '../../exit-codes';
import { TaskdaemonError } from '../../errors';
import { follow, tailLines, type FollowEvent } from '../../logs/tail';
import { defaultLogFile, validateName } from '../../paths';
import { targetName } from '../shared';
import { err, outputClosed, writeAll } from '../output';

export interface LogsFlags {
  config?: string;
  name?: string;
  stdout?: string;
  lines?: string;
  follow?: boolean;
  json?: boolean;
}

export async function logsCommand(nameArg: string | undefined, f: LogsFlags): Promise<number | null> {
  const file = logFile(nameArg, f);
  const n = lineCount(f.lines ?? '10');
  const stop = new AbortController();
  const print = (lines: string[]): void => {
    writeAll(1, lines.map((l) => (f.json ? JSON.stringify({ line: l }) : l) + '\n').join(''));
    // The reader went away (`taskdaemon logs -f | head`): that ends the job, like tail.
    if (outputClosed()) stop.abort();
  };
  if (!f.follow) {
    let lines: string[];
    try {
      lines = tailLines(file, n);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      err(`taskdaemon: no log at ${file}`);
      return EXIT.FAILURE;
    }
    if (lines.length > 0) print(lines);
    return EXIT.OK;
  }
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    await follow(file, print, { signal: stop.signal, lines: n, onEvent: (e) => err(`taskdaemon: ${NOTICE[e](file)}`) });
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  return EXIT.OK;
}

const NOTICE: { [e in FollowEvent]: (file: string) => string } = {
  missing: (file) => `no log at ${file} yet; waiting for it`,
  appeared: (file) => `${file} appeared; following it`,
  replaced: (file) => `${file} was replaced; following the new file`,
  truncated: (file) => `${file} was truncated; reading from its start`,
};

// --stdout, else the config file's (or TASKDAEMON_STDOUT's) log, else the name's default log.
function logFile(nameArg: string | undefined, f: LogsFlags): string {
  if (f.stdout) return f.stdout;
  const { name, merged } = targetName(nameArg, f);
  if (!f.name && !nameArg && merged.stdout) return merged.stdout;
  if (!name) throw new TaskdaemonError('which daemon? give its name or --stdout', { exitCode: EXIT.INVALID_ARGS, code: 'ERR_NO_TARGET' });
  return defaultLogFile(validateName(name));
}

function lineCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new TaskdaemonError(`invalid --lines '${value}': give a whole number, 0 or more`, { exitCode: EXIT.INVALID_ARGS, code: 'ERR_INVALID_LINES' });
  }
  return n;
}

