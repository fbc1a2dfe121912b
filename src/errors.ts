// Errors: Node-style SystemErrors built from native -errno results, the
// SetupError of a step that failed between fork and execve (a SystemError with
// the step), and TaskdaemonError, which carries the LSB exit code and a hint.
import * as os from 'node:os';
import * as util from 'node:util';
import { EXIT } from './exit-codes';

/** What a native call returns when one of several syscalls failed (src/native.ts). */
export interface NativeFailure {
  errno: number; // negative
  syscall: string;
}

export function isFailure(v: unknown): v is NativeFailure {
  return typeof v === 'object' && v !== null && 'errno' in v && 'syscall' in v;
}
import { setupStep } from './setup-steps';

export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

// An errno either sign -> its negative value (as Node's errors carry it), name and description.
function errnoFacts(errno: number): { errno: number; code: string; desc: string } {
  const neg = errno < 0 ? errno : -errno;
  return { errno: neg, code: errnoName(neg), desc: errnoDescription(neg) };
}

// Same shape as Node's own: "EACCES: permission denied, open '/run/x.pid'".
export function systemError(errno: number, syscall: string, path?: string): SystemError {
  const { errno: neg, code, desc } = errnoFacts(errno);
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

/** "invalid --FLAG 'VALUE': WHY", exit 2 (a flag; the config loader turns it into 6 for a file or the environment). */
export function invalidOption(flag: string, value: unknown, why: string, hint?: string): TaskdaemonError {
  return new TaskdaemonError(`invalid --${flag} '${String(value)}': ${why}`, { exitCode: EXIT.INVALID_ARGS, code: 'ERR_INVALID_ARG_VALUE', key: flag, ...(hint && { hint }) });
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

// The LSB exit code for a system error code: a permission problem is 4.
function exitCodeForCode(code: unknown): number {
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? EXIT.NO_PRIVILEGE : EXIT.FAILURE;
}

// Map a failure to the LSB exit code a failing action should return.
export function exitCodeFor(err: unknown): number {
  if (err instanceof TaskdaemonError) return err.exitCode;
  return exitCodeForCode((err as { code?: unknown } | null)?.code);
}

/** A setup step of the daemon-to-be failed (native/spawn.cc's STEP=/ERRNO= record): a SystemError that names the step. */
export class SetupError extends TaskdaemonError implements SystemError {
  readonly errno: number;
  readonly syscall: string;
  /** The step as native/steps.h names it ("chdir", "open(entry)", "setuid(0)"). */
  readonly step: string;
  readonly path?: string;
  constructor(message: string, facts: { code: string; errno: number; syscall: string; step: string; path: string | undefined; exitCode: number; hint: string | undefined }) {
    super(message, { code: facts.code, exitCode: facts.exitCode, ...(facts.hint && { hint: facts.hint }) });
    this.name = 'SetupError';
    this.errno = facts.errno;
    this.syscall = facts.syscall;
    this.step = facts.step;
    if (facts.path !== undefined) this.path = facts.path;
  }
}

export interface SetupContext {
  /** The file the step was about: the entry, the boot script, node itself, the directory, the pidfile. */
  path?: string;
  /** Whom the daemon runs as after the drop ("nobody", "uid 1000"), when it drops. */
  user?: string;
  /** More for the hint, after what the step itself says (the daemon's last log lines). */
  note?: string;
}

// ERRNO=0: the step succeeded where it had to fail (setuid(0) after the drop).
const REGAINED = 'ERR_PRIVILEGE_REGAINED';

/**
 * The one construction of a failed setup step's error, from the record
 * (step, errno) and what the starter knows (path, user). ERRNO=0 means a check
 * that had to fail succeeded: the dropped daemon could become root again.
 */
export function setupError(step: string, errno: number, ctx: SetupContext = {}): SetupError {
  const syscall = setupStep(step)?.syscall ?? step;
  const hints: (string | undefined)[] = [];
  let message: string;
  let facts: { code: string; errno: number; exitCode: number };
  if (errno === 0) {
    message = `privilege drop did not hold: ${step} succeeded after dropping to ${ctx.user ?? 'another user'}, so the daemon could regain root; it was not started`;
    facts = { code: REGAINED, errno: 0, exitCode: EXIT.FAILURE };
    hints.push('the starter runs with capabilities that survive setuid (securebits no_setuid_fixup): start it without them');
  } else {
    const { errno: neg, code, desc } = errnoFacts(errno);
    facts = { code, errno: neg, exitCode: code === 'ENOENT' && syscall === 'execve' ? EXIT.NOT_INSTALLED : exitCodeForCode(code) };
    // A file the dropped user must reach: said as such, with what to change.
    if (code === 'EACCES' && ctx.user && ctx.path && (syscall === 'open' || syscall === 'execve')) {
      message = `${ctx.user} cannot ${syscall === 'execve' ? 'run' : 'read'} ${ctx.path}: ${code} (${desc})`;
      hints.push(`the daemon runs as ${ctx.user}: the file and every directory above it must be open to that user (a checkout under /root or a mktemp -d directory is not)`);
    } else {
      message = `daemon setup failed at ${step}: ${code} (${desc})`;
    }
  }
  hints.push(ctx.note);
  const hint = hints.filter(Boolean).join('\n') || undefined;
  return new SetupError(message, { ...facts, syscall, step, path: ctx.path, hint });
}

/** A failure as data (the CLI's --json): its message and hint, its code, and the SystemError fields it has. */
export function errorFacts(e: unknown): { message: string; code?: string; errno?: number; syscall?: string; step?: string; path?: string; hint?: string } {
  const message = e instanceof Error ? e.message : String(e);
  const o = (typeof e === 'object' && e !== null ? e : {}) as { [k: string]: unknown };
  const str = (k: string): { [k: string]: string } => (typeof o[k] === 'string' ? { [k]: o[k] as string } : {});
  return {
    message,
    ...str('code'),
    ...(typeof o.errno === 'number' && { errno: o.errno }),
    ...str('syscall'),
    ...str('step'),
    ...str('path'),
    ...(e instanceof TaskdaemonError && e.hint && { hint: e.hint }),
  };
}
