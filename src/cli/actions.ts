// What each command runs, given its operands (in OPERANDS order, a variadic
// one as an array) and its flags: one table for both ways a command line is
// parsed (commander in program.ts, the quick parser in quick-parse.ts). Each
// command's module loads only when that command runs.
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
import type { CommandName } from '../option-table';

export type Action = Promise<number | null> | number | null;
export type Operand = string | string[] | undefined;
export type Flags = any; // each command checks its own flags (cli/shared.ts)

const one = (o: Operand): string | undefined => o as string | undefined;
const rest = (o: Operand): string[] => (o as string[] | undefined) ?? [];

export const ACTIONS: { readonly [c in CommandName]: (operands: Operand[], flags: Flags) => Action } = {
  start: ([entry, args], f) => (require('./commands/start') as typeof import('./commands/start')).startCommand(one(entry), rest(args), f),
  stop: ([name], f) => (require('./commands/stop') as typeof import('./commands/stop')).stopCommand(one(name), f),
  restart: ([entry, args], f) => (require('./commands/restart') as typeof import('./commands/restart')).restartCommand(one(entry), rest(args), f),
  reload: ([name], f) => (require('./commands/reload') as typeof import('./commands/reload')).reloadCommand(one(name), f),
  status: ([name], f) => (require('./commands/status') as typeof import('./commands/status')).statusCommand(one(name), f),
  health: ([name], f) => (require('./commands/health') as typeof import('./commands/health')).healthCommand(one(name), f),
  run: ([entry, args], f) => (require('./commands/run') as typeof import('./commands/run')).runCommand(one(entry), rest(args), f),
  logs: ([name], f) => (require('./commands/logs') as typeof import('./commands/logs')).logsCommand(one(name), f),
  'reopen-logs': ([name], f) => (require('./commands/reopen-logs') as typeof import('./commands/reopen-logs')).reopenLogsCommand(one(name), f),
  install: ([kind, entry, args], f) => (require('./commands/install') as typeof import('./commands/install')).installCommand(one(kind), one(entry), rest(args), f),
  config: ([action, entry, args], f) => (require('./commands/config') as typeof import('./commands/config')).configCommand(one(action), one(entry), rest(args), f),
  list: (_, f) => (require('./commands/list') as typeof import('./commands/list')).listCommand(f),
  call: ([args], f) => (require('./commands/call') as typeof import('./commands/call')).callCommand(rest(args), f),
};
