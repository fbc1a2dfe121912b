// The plain command line (`status api --json`, `stop --pidfile F`) parsed
// without commander: loading and building commander is most of what a command
// costs over `node -e 0` (bench/RESULTS.md). node:util's parseArgs reads the
// same option table with commander's rules; whatever it is not sure of (help,
// --version, an unknown or malformed option, a short-option cluster, a bad
// choice, too many operands) returns null and goes to commander, which prints
// its usual help or error. test/unit/quick-parse.test.ts holds the two to the
// same result on every command line it accepts.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { COMMANDS, OPERANDS, optionsOf, type CommandName } from '../option-table';

export interface QuickCommand {
  command: CommandName;
  /** In OPERANDS order; a variadic operand is an array (empty when none was given). */
  operands: (string | string[] | undefined)[];
  /** What commander's opts() would hold. */
  flags: { [key: string]: unknown };
}

// '--lines <n>' or '-n, --lines <n>': only the forms the option table uses.
const FLAG = /^(?:-([A-Za-z]), )?--([a-z][a-z0-9-]*)( <[^<>[\]]+>)?$/;

export function quickParse(args: string[]): QuickCommand | null {
  // The program's own --debug may come before the command, as commander allows.
  let at = 0;
  while (args[at] === '--debug') at++;
  const command = COMMANDS.find((c) => c === args[at]);
  if (command === undefined) return null;
  const rest = args.slice(at + 1);
  const end = rest.indexOf('--');
  for (const a of end < 0 ? rest : rest.slice(0, end)) {
    // Help and version are commander's; so is a short-option cluster or a glued value (-fn, -n5).
    if (a === '-h' || a === '--help' || a === '-V' || a === '--version' || /^-[^-]./.test(a)) return null;
  }

  const options: NonNullable<ParseArgsConfig['options']> = { debug: { type: 'boolean' } };
  const keys = new Map<string, { key: string; negate: boolean; choices?: readonly string[] }>();
  const defaults: { [key: string]: unknown } = {};
  const specs = optionsOf(command);
  for (const o of specs) {
    const m = FLAG.exec(o.flag!);
    if (!m) return null; // a form this parser does not know: commander's
    const [, short, long, value] = m as unknown as [string, string | undefined, string, string | undefined];
    options[long] = { type: value ? 'string' : 'boolean', ...(short && { short }), ...(o.repeatable && { multiple: true }) };
    const negate = long.startsWith('no-');
    // commander's attribute: the long name without no-, in camelCase (--reopen-timeout is reopenTimeout).
    const key = (negate ? long.slice(3) : long).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    keys.set(long, { key, negate, ...(o.choices && { choices: o.choices }) });
    // commander: a --no-X alone makes X true by default.
    if (negate && !specs.some((p) => p.flag!.split(/,? /).includes(`--${long.slice(3)}`))) defaults[key] = true;
  }

  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, strict: true, allowPositionals: true, tokens: true });
  } catch {
    return null;
  }
  // In command-line order, as commander applies them: the last of --pidfile F and --no-pidfile wins.
  const flags: { [key: string]: unknown } = { ...defaults };
  for (const t of parsed.tokens) {
    if (t.kind !== 'option' || t.name === 'debug') continue;
    const k = keys.get(t.name)!;
    if (k.choices && !k.choices.includes(t.value!)) return null;
    if (k.negate) flags[k.key] = false;
    else if (options[t.name]!.multiple) flags[k.key] = [...((flags[k.key] as string[] | undefined) ?? []), t.value!];
    else flags[k.key] = t.value ?? true;
  }

  const operands: (string | string[] | undefined)[] = [];
  const positionals = [...parsed.positionals];
  for (const o of OPERANDS[command]) operands.push(o.name.endsWith('...') ? positionals.splice(0) : positionals.shift());
  if (positionals.length > 0) return null; // too many: commander says so
  return { command, operands, flags };
}
