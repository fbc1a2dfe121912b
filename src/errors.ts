// Errors: Node-style SystemErrors built from native -errno results, and
// TaskdaemonError, which carries the LSB exit code and a hint for the CLI.
import * as os from 'node:os';
import * as util from 'node:util';
import { EXIT } from './exit-codes';
import { isFailure, type NativeFailure } from './native';

export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

// Same shape as Node's own: "EACCES: permission denied, open '/run/x.pid'".
export function systemError(errno: number, syscall: string, path?: string): SystemError {
  const neg = errno < 0 ? errno : -errno;
  const code = errnoName(neg);
  const desc = errnoDescription(neg);
  const err = new Error(`${code}: ${desc}, ${syscall}${path ? ` '${path}'` : ''}`) as SystemError;
  err.code = code;
  err.errno = neg;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

// libuv names only the errors it knows: execve's ENOEXEC, for one, comes out
// as "Unknown system error -8". The kernel's own names fill the gap.
export function errnoName(neg: number): string {
  const name = util.getSystemErrorName(neg);
  if (!name.startsWith('Unknown')) return name;
  return Object.entries(os.constants.errno).find(([, n]) => n === -neg)?.[0] ?? name;
}

const MISSING_DESCRIPTIONS: { [code: string]: string } = { ENOEXEC: 'exec format error' };

export function errnoDescription(neg: number): string {
  return util.getSystemErrorMap?.().get(neg)?.[1] ?? MISSING_DESCRIPTIONS[errnoName(neg)] ?? 'system error';
}

// Unwrap a native result: numbers below zero and failure objects become SystemErrors.
export function check<T>(result: T | number | NativeFailure, syscall: string, path?: string): T {
  if (typeof result === 'number' && result < 0) throw systemError(result, syscall, path);
  if (isFailure(result)) throw systemError(result.errno, result.syscall, path);
  return result as T;
}

export class TaskdaemonError extends Error {
  readonly exitCode: number;
  readonly code: string;
  readonly hint: string | undefined;
  /** The option at fault, as its flag without dashes ("umask", "ready-timeout"), when there is one. */
  readonly key: string | undefined;
  constructor(message: string, opts: { exitCode?: number; code?: string; hint?: string; cause?: unknown; key?: string } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'TaskdaemonError';
    this.exitCode = opts.exitCode ?? EXIT.FAILURE;
    this.code = opts.code ?? 'ERR_TASKDAEMON';
    this.hint = opts.hint;
    this.key = opts.key;
  }
}

// Map a system error code to the LSB exit code a failing action should return.
export function exitCodeFor(err: unknown): number {
  if (err instanceof TaskdaemonError) return err.exitCode;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return EXIT.NO_PRIVILEGE;
  return EXIT.FAILURE;
}
