// taskdaemon.toml and TASKDAEMON_* variables: parsed with a real TOML parser
// (smol-toml), validated by the schema built from the option table (Ajv,
// compiled at build time), and mapped onto the same options the flags set. Errors name
// the key, the value, and what was expected; unknown keys get a did-you-mean.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from '../exit-codes';
import { TaskdaemonError } from '../errors';
import type { ConfigOptions } from '../options';
import { tomlOptions } from '../option-table';
import { resolveEnvFileSpec } from '../env-file';

export type { ConfigOptions, ControlOptions } from '../options';

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

// What each key takes, in words, for error messages: from the option table.
function expected(key: string): string | undefined {
  return tomlOptions().find((o) => o.toml === key)?.expected;
}

let validator: Validator | undefined;
function validate(data: unknown): AjvError[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  validator ??= require(path.join(__dirname, '..', '..', 'generated', 'config-validator.js')) as Validator;
  return validator(data) ? [] : (validator.errors ?? []);
}

// Keys of the file, at the top or in a table ("stop"), for did-you-mean.
function knownKeys(parent: string): string[] {
  const keys = tomlOptions().map((o) => o.toml);
  if (!parent) return [...new Set(keys.map((k) => k.split('.')[0]!))];
  return keys.filter((k) => k.startsWith(`${parent}.`)).map((k) => k.slice(parent.length + 1));
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
    out.set(key, `${source}: ${keyName(key)} = ${JSON.stringify(valueAt(data, e.instancePath))}: expected ${expected(topKey) ?? e.message ?? 'a valid value'}`);
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

// File keys (snake_case, tables) -> option names, from the option table.
// Paths are relative to `base`; env files keep their "-" (may be missing) in front.
function toOptions(c: { [key: string]: unknown }, base: string): ConfigOptions {
  const envFile = (p: string): string => resolveEnvFileSpec(p, base);
  const o: { [key: string]: unknown } = {};
  for (const spec of tomlOptions()) {
    const [table, key] = spec.toml.includes('.') ? spec.toml.split('.') : [null, spec.toml];
    const v = table ? (c[table] as { [k: string]: unknown } | undefined)?.[key!] : c[key!];
    if (v === undefined) continue;
    if (spec.relative === 'envFiles') o[spec.key] = Array.isArray(v) ? (v as string[]).map(envFile) : envFile(v as string);
    else if (spec.relative === 'path' && typeof v === 'string') o[spec.key] = path.resolve(base, v);
    else o[spec.key] = v;
  }
  return o as ConfigOptions;
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

// TASKDAEMON_<KEY> for every key of the file but tables and `args` (an
// argument may hold a comma); table keys flatten: [stop] retry is
// TASKDAEMON_STOP_RETRY. Derived from the option table, like the schema.
type SchemaNode = { type?: string; const?: unknown; enum?: unknown[]; oneOf?: SchemaNode[]; $ref?: string; items?: SchemaNode };
let envKeys: Map<string, { key: string; accepts: Set<string> }> | undefined;

function accepted(node: SchemaNode): Set<string> {
  if (node.$ref) return new Set(node.$ref.endsWith('/duration') ? ['number', 'string'] : ['string']);
  if (node.oneOf) return new Set(node.oneOf.flatMap((n) => [...accepted(n)]));
  if (node.const !== undefined) return new Set([typeof node.const]);
  return new Set(node.type ? [node.type === 'integer' ? 'number' : node.type] : ['string']);
}

function envVariables(): Map<string, { key: string; accepts: Set<string> }> {
  if (envKeys) return envKeys;
  envKeys = new Map();
  for (const o of tomlOptions()) {
    const node = o.schema as SchemaNode;
    if (node.type === 'object' || o.toml === 'args') continue;
    envKeys.set(`TASKDAEMON_${o.toml.replace(/\./g, '_').toUpperCase()}`, { key: o.toml, accepts: accepted(node) });
  }
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
    // TASKDAEMON_CONFIG names the file; TASKDAEMON_FOREGROUND is daemonize()'s (stay in the foreground).
    if (!name.startsWith('TASKDAEMON_') || value === undefined || name === 'TASKDAEMON_CONFIG' || name === 'TASKDAEMON_FOREGROUND') continue;
    const vars = envVariables();
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
