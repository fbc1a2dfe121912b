// taskdaemon config check|show: validate the effective configuration (file,
// environment, flags) without starting anything, or print it.
import { EXIT } from '../../exit-codes';
import { TaskdaemonError } from '../../errors';
import { json, out } from '../output';
import { resolveDaemon, type DaemonFlags } from '../shared';
import type { ConfigOptions } from '../../config/load';
import { tomlOptions } from '../../option-table';
import type { ResolvedOptions } from '../../options';
import { daemonEnvironment } from '../../daemon-env';
import { daemonIdentity } from '../../users';

export interface ConfigFlags extends DaemonFlags {
  json?: boolean;
}

// What `start` will give the daemon; values that come from the caller's
// environment or an env file may be secrets, so only their names are shown.
function shownEnvironment(o: ResolvedOptions): { [k: string]: string } {
  const { env, source } = daemonEnvironment(o, process.env, daemonIdentity(o.credentials));
  const masked = new Set(['passed', 'file', 'inherited']);
  return Object.fromEntries(Object.keys(env).sort().map((k) => [k, masked.has(source[k]!) ? '********' : env[k]!]));
}

// The effective configuration in the file's own keys (the option table's
// `show`), so `config show > f.toml` gives a file `config check --config
// f.toml` accepts (paths absolute).
function effectiveDocument(o: ResolvedOptions, merged: ConfigOptions): { [k: string]: unknown } {
  const doc: { [k: string]: unknown } = {};
  for (const spec of tomlOptions()) {
    const v = spec.show?.(o, merged);
    if (v === undefined) continue;
    const [table, key] = spec.toml.includes('.') ? spec.toml.split('.') : [null, spec.toml];
    if (table) doc[table] = { ...(doc[table] as object), [key!]: v };
    else doc[key!] = v;
  }
  return doc;
}

function asToml(doc: { [k: string]: unknown }, o: ResolvedOptions, configFile: string | null): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const toml = (require('smol-toml') as { stringify(v: unknown): string }).stringify(doc);
  const environment = Object.entries(shownEnvironment(o)).map(([k, v]) => `#   ${k}=${v}`);
  return (
    `# effective configuration of ${o.name}${configFile ? ` (from ${configFile}, the environment and flags)` : ' (environment and flags)'}\n${toml}\n` +
    `# the daemon's environment at start (values from the caller or env files masked):\n${environment.join('\n')}`
  );
}

export function configCommand(action: string | undefined, entry: string | undefined, args: string[], f: ConfigFlags): number {
  if (action !== 'check' && action !== 'show') {
    throw new TaskdaemonError(`unknown config action '${action ?? ''}'`, { exitCode: EXIT.INVALID_ARGS, code: 'ERR_INVALID_ARG_VALUE', hint: 'use: taskdaemon config check | config show' });
  }
  const { options: o, merged, layers } = resolveDaemon(entry, args, f);
  if (action === 'check') {
    if (f.json) json({ ok: true, configFile: layers.configFile, name: o.name });
    else out(`config OK${layers.configFile ? `: ${layers.configFile}` : ' (no config file; flags and environment only)'} (daemon ${o.name})`);
    return EXIT.OK;
  }
  const doc = effectiveDocument(o, merged);
  if (f.json) json({ configFile: layers.configFile, ...doc, environment: shownEnvironment(o) });
  else out(asToml(doc, o, layers.configFile));
  return EXIT.OK;
}
