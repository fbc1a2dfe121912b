// taskdaemon.toml and TASKDAEMON_* variables: parsed with a real TOML parser
// (smol-toml), validated by schema/taskdaemon.schema.json (Ajv, compiled at
// build time), and mapped onto the same options the flags set. Errors name
// the key, the value, and what was expected; unknown keys get a did-you-mean.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from '../exit-codes';
import { TaskdaemonError } from '../errors';
import type { DaemonOptions } from '../options';

/** Options for `stop`, `restart` and friends that a file or the environment can set. */
export interface ControlOptions {
  stopTimeout?: number | string;
  retry?: string;
  oknodo?: boolean;
}

export type ConfigOptions = Partial<DaemonOptions> & ControlOptions;

export interface LoadedConfig {
  file: string | null;
  options: ConfigOptions;
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: { additionalProperty?: string; allowedValues?: unknown[] };
  message?: string;
}
type Validator = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

// What each key takes, in words, for error messages.
const EXPECTED: { [key: string]: string } = {
  entry: 'a path to the program',
  args: 'an array of strings',
  name: 'a name of 1-64 letters, digits or . _ @ -',
  umask: 'an octal umask as a string, like "027"',
  env: 'a table of NAME = "value" strings',
  env_file: 'a path, or an array of paths',
  pass_env: 'an array of variable names',
  inherit_env: 'true or false',
  ready_timeout: 'seconds (a positive number) or a string like "500ms" or "1m"',
  grace: 'seconds (a positive number) or a string like "500ms" or "1m"',
  log_format: '"text" or "json"',
  state_file: 'a path, or false',
  nofile: 'an integer from 1 to 1073741824',
  core: 'a number of bytes, or "unlimited"',
  prevent_core: 'true or false',
  nice: 'an integer from -20 to 19',
  oknodo: 'true or false',
  'stop.timeout': 'seconds (a positive number) or a string like "500ms" or "1m"',
  'stop.retry': 'a schedule like "TERM/30/KILL/5", or a number of seconds',
  'health.port': 'a port number from 1 to 65535',
  'health.host': 'a host name or address',
};

let validator: Validator | undefined;
function validate(data: unknown): AjvError[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  validator ??= require(path.join(__dirname, '..', '..', 'generated', 'config-validator.js')) as Validator;
  return validator(data) ? [] : (validator.errors ?? []);
}

type Schema = { properties: { [k: string]: { properties?: { [k: string]: unknown } } } };
let schema: Schema | undefined;

// The same file editors can use for completion (taplo, Even Better TOML).
export const SCHEMA_FILE = path.join(__dirname, '..', '..', 'schema', 'taskdaemon.schema.json');

function knownKeys(parent: string): string[] {
  schema ??= JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as Schema;
  if (!parent) return Object.keys(schema.properties);
  return Object.keys(schema.properties[parent]?.properties ?? {});
}

function closest(word: string, candidates: string[]): string | null {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { distance } = require('fastest-levenshtein') as typeof import('fastest-levenshtein');
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

function valueAt(data: unknown, pointer: string): unknown {
  let v = data;
  for (const part of pointer.split('/').slice(1)) v = (v as { [k: string]: unknown } | undefined)?.[part];
  return v;
}

// One line per wrong key, however many schema branches complained about it.
function describe(errors: AjvError[], data: unknown, source: string, keyName: (key: string) => string): string[] {
  const out = new Map<string, string>();
  for (const e of errors) {
    const key = e.instancePath.slice(1).replace(/\//g, '.');
    if (e.keyword === 'additionalProperty' || e.keyword === 'additionalProperties') {
      const extra = e.params.additionalProperty!;
      const full = key ? `${key}.${extra}` : extra;
      const guess = closest(extra, knownKeys(key));
      out.set(full, `${source}: unknown key '${keyName(full)}'${guess ? ` (did you mean '${keyName(key ? `${key}.${guess}` : guess)}'?)` : ''}`);
      continue;
    }
    if (out.has(key)) continue;
    const topKey = key.startsWith('env.') ? 'env' : key;
    const expected = EXPECTED[topKey] ?? e.message ?? 'a valid value';
    out.set(key, `${source}: ${keyName(key)} = ${JSON.stringify(valueAt(data, e.instancePath))}: expected ${expected}`);
  }
  return [...out.values()];
}

function configError(lines: string[]): TaskdaemonError {
  return new TaskdaemonError(lines[0]!, {
    exitCode: EXIT.NOT_CONFIGURED,
    code: 'ERR_BAD_CONFIG',
    ...(lines.length > 1 && { hint: lines.slice(1).join('\n') }),
  });
}

// Schema keys (snake_case, tables) -> option names. Paths are relative to `base`.
function toOptions(c: { [key: string]: unknown }, base: string): ConfigOptions {
  const abs = (p: unknown): string => path.resolve(base, p as string);
  const o: ConfigOptions = {};
  const set = <K extends keyof ConfigOptions>(k: K, v: ConfigOptions[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  set('entry', c.entry !== undefined ? abs(c.entry) : undefined);
  set('args', c.args as string[] | undefined);
  set('name', c.name as string | undefined);
  for (const [key, opt] of [['pidfile', 'pidfile'], ['chdir', 'chdir'], ['stdout', 'stdout'], ['stderr', 'stderr'], ['watch_config', 'watchConfig']] as const) {
    set(opt, c[key] !== undefined ? abs(c[key]) : undefined);
  }
  set('stateFile', c.state_file === false ? false : c.state_file !== undefined ? abs(c.state_file) : undefined);
  set('user', c.user as string | undefined);
  set('group', c.group as string | undefined);
  set('umask', c.umask as string | undefined);
  set('env', c.env as { [k: string]: string } | undefined);
  if (c.env_file !== undefined) {
    // Relative to the file; the "-" prefix (may be missing) stays in front.
    const rel = (f: string): string => (f.startsWith('-') ? '-' + abs(f.slice(1)) : abs(f));
    set('envFile', Array.isArray(c.env_file) ? (c.env_file as string[]).map(rel) : rel(c.env_file as string));
  }
  set('passEnv', c.pass_env as string[] | undefined);
  set('inheritEnv', c.inherit_env as boolean | undefined);
  set('readyTimeout', c.ready_timeout as number | string | undefined);
  set('grace', c.grace as number | string | undefined);
  set('logFormat', c.log_format as string | undefined);
  set('nofile', c.nofile as number | undefined);
  set('core', c.core as number | string | undefined);
  set('preventCore', c.prevent_core as boolean | undefined);
  set('nice', c.nice as number | undefined);
  set('oknodo', c.oknodo as boolean | undefined);
  const stop = (c.stop ?? {}) as { timeout?: number | string; retry?: string };
  set('stopTimeout', stop.timeout);
  set('retry', stop.retry);
  const health = (c.health ?? {}) as { port?: number; host?: string };
  set('healthPort', health.port);
  set('healthHost', health.host);
  return o;
}

export function loadConfigFile(file: string): LoadedConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TaskdaemonError(`cannot read config ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, {
      exitCode: code === 'ENOENT' ? EXIT.NOT_CONFIGURED : code === 'EACCES' ? EXIT.NO_PRIVILEGE : EXIT.NOT_CONFIGURED,
      code: 'ERR_BAD_CONFIG',
    });
  }
  let data: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    data = (require('smol-toml') as { parse(text: string): unknown }).parse(text);
  } catch (err) {
    // smol-toml's error knows the line and column, and its message shows the spot with a caret.
    const e = err as Error & { line?: number; column?: number };
    const [first, ...rest] = e.message.split('\n');
    const where = e.line ? `line ${e.line}${e.column ? `, column ${e.column}` : ''}: ` : '';
    throw configError([`${file}: invalid TOML: ${where}${first!.replace(/^Invalid TOML document: /, '')}`, ...rest.filter((l) => l.trim())]);
  }
  const errors = validate(data);
  if (errors.length) throw configError(describe(errors, data, file, (k) => k));
  return { file, options: toOptions(data as { [key: string]: unknown }, path.dirname(path.resolve(file))) };
}

// TASKDAEMON_<KEY> for every scalar key of the schema; tables flatten:
// [stop] retry is TASKDAEMON_STOP_RETRY. Derived from the schema, so a new key
// gets its variable without a second list to keep in step.
type SchemaNode = { type?: string; const?: unknown; oneOf?: SchemaNode[]; $ref?: string; items?: SchemaNode; properties?: { [k: string]: SchemaNode } };
let envKeys: Map<string, { key: string; accepts: Set<string> }> | undefined;

function accepted(node: SchemaNode, defs: { [k: string]: SchemaNode }): Set<string> {
  if (node.$ref) return accepted(defs[node.$ref.split('/').pop()!]!, defs);
  if (node.oneOf) return new Set(node.oneOf.flatMap((n) => [...accepted(n, defs)]));
  if (node.const !== undefined) return new Set([typeof node.const]);
  return new Set(node.type ? [node.type === 'integer' ? 'number' : node.type] : ['string']);
}

function envVariables(): Map<string, { key: string; accepts: Set<string> }> {
  if (envKeys) return envKeys;
  const root = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as SchemaNode & { definitions: { [k: string]: SchemaNode } };
  envKeys = new Map();
  const walk = (props: { [k: string]: SchemaNode }, prefix: string[]): void => {
    for (const [k, node] of Object.entries(props)) {
      if (node.properties) walk(node.properties, [...prefix, k]);
      // Lists of names and paths split on commas; `args` does not (an argument may hold one).
      else if (node.type !== 'object' && !(node.type === 'array' && (node.items?.type !== 'string' || k === 'args'))) {
        envKeys!.set(`TASKDAEMON_${[...prefix, k].join('_').toUpperCase()}`, { key: [...prefix, k].join('.'), accepts: accepted(node, root.definitions) });
      }
    }
  };
  walk(root.properties!, []);
  return envKeys;
}

/** Every TASKDAEMON_* variable and the config key it sets, for the man page. */
export function environmentVariables(): { name: string; key: string }[] {
  return [...envVariables()].map(([name, { key }]) => ({ name, key }));
}

// Environment strings become what the key accepts; what cannot be converted
// stays a string, so the schema reports it with its key.
function coerce(value: string, accepts: Set<string>): unknown {
  // A list in one variable: TASKDAEMON_PASS_ENV="HTTPS_PROXY,NO_PROXY".
  if (accepts.has('array') && !accepts.has('string')) return value.split(',').map((v) => v.trim()).filter(Boolean);
  if (accepts.has('array') && value.includes(',')) return value.split(',').map((v) => v.trim()).filter(Boolean);
  if (accepts.has('number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (accepts.has('boolean')) {
    if (['true', '1', 'yes'].includes(value) && !accepts.has('string')) return true;
    if (['false', '0', 'no', ''].includes(value)) return false;
  }
  return value;
}

export function loadEnvOverrides(env: NodeJS.ProcessEnv = process.env): ConfigOptions {
  const data: { [key: string]: unknown } = {};
  const unknown: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('TASKDAEMON_') || value === undefined || name === 'TASKDAEMON_CONFIG') continue;
    const vars = envVariables(); // only read the schema when such a variable is set
    const spec = vars.get(name);
    if (!spec) {
      const guess = closest(name, [...vars.keys()]);
      unknown.push(`environment: unknown variable ${name}${guess ? ` (did you mean ${guess}?)` : ''}`);
      continue;
    }
    const [table, key] = spec.key.includes('.') ? spec.key.split('.') : [null, spec.key];
    const v = coerce(value, spec.accepts);
    if (table) data[table] = { ...(data[table] as object), [key!]: v };
    else data[key!] = v;
  }
  const envName = (key: string): string => `TASKDAEMON_${key.replace(/\./g, '_').toUpperCase()}`;
  // Nothing set (the usual case): skip loading the validator at all.
  const errors = [...unknown, ...(Object.keys(data).length ? describe(validate(data), data, 'environment', envName) : [])];
  if (errors.length) throw configError(errors);
  return toOptions(data, process.cwd());
}

// The config file: --config, else $TASKDAEMON_CONFIG, else ./taskdaemon.toml if there is one.
export function findConfigFile(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  if (flag) return path.resolve(flag);
  if (env.TASKDAEMON_CONFIG) return path.resolve(env.TASKDAEMON_CONFIG);
  const local = path.resolve('taskdaemon.toml');
  return fs.existsSync(local) ? local : null;
}

/** Flags beat the environment, which beats the file, which beats the defaults (applied later). */
export function mergeConfig(file: ConfigOptions, env: ConfigOptions, flags: ConfigOptions): ConfigOptions {
  const out: ConfigOptions = { ...file };
  for (const layer of [env, flags]) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) (out as { [k: string]: unknown })[k] = v;
  }
  return out;
}
