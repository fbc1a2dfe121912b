// Values written into unit files, escaped for systemd.service(5) "COMMAND
// LINES" and systemd.unit(5) "SPECIFIERS": what the daemon gets is exactly the
// string it was given.
import { EXIT } from '../exit-codes';
import { TaskdaemonError } from '../errors';

const SAFE_WORD = /^[A-Za-z0-9_@+=:,./-]+$/;
// eslint-disable-next-line no-control-regex
export const CONTROL = /[\x00-\x1f\x7f]/;

export function refuseControlChars(value: string): void {
  if (CONTROL.test(value)) {
    throw new TaskdaemonError(`cannot write ${JSON.stringify(value)} into a unit file: it holds a control character`, {
      exitCode: EXIT.INVALID_ARGS,
      code: 'ERR_INVALID_ARG_VALUE',
    });
  }
}

// % starts a specifier in every setting that takes a path or a command.
export function noSpecifiers(value: string): string {
  return value.replace(/%/g, '%%');
}

// One word of an Exec*= line: double-quoted unless plainly safe; inside the
// quotes \ and " are C-escaped, $ is written $$ (no variable expansion) and
// % is written %% (no specifier). Quoting also keeps a lone ";" an argument.
export function execWord(value: string): string {
  if (SAFE_WORD.test(value)) return value;
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\$/g, () => '$$')
    .replace(/%/g, '%%')
    .replace(/\t/g, '\\t')
    .replace(/\n/g, '\\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `"${escaped}"`;
}

export function execLine(argv: string[]): string {
  return argv.map(execWord).join(' ');
}

// A path in a space-separated list setting (ReadWritePaths=): quoted when it
// holds anything but plain characters, specifiers escaped.
export function listPath(p: string): string {
  refuseControlChars(p);
  const v = noSpecifiers(p);
  return SAFE_WORD.test(p) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

// A path that is a setting's whole value (PIDFile=): taken verbatim, bar specifiers.
export function singlePath(p: string): string {
  refuseControlChars(p);
  return noSpecifiers(p);
}
