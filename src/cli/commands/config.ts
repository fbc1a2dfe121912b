// taskdaemon config check|show: validate the effective configuration (file,
// environment, flags) without starting anything, or print it.
import { EXIT } from '../../exit-codes';
import { TaskdaemonError } from '../../errors';
import { json, out } from '../output';
import { resolveDaemon, type DaemonFlags } from '../shared';
import type { ConfigOptions } from '../../config/load';
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

const seconds = (ms: number): number => ms / 1000;

// The effective configuration in the file's own keys, so `config show > f.toml`
// gives a file `config check --config f.toml` accepts (paths absolute).
function asToml(o: ResolvedOptions, merged: ConfigOptions, configFile: string | null): string {
  const doc: { [k: string]: unknown } = {
    entry: o.entry,
    ...(o.args.length && { args: o.args }),
    name: o.name,
    ...(o.pidfile && { pidfile: o.pidfile }),
    ...(merged.user && { user: merged.user }),
    ...(merged.group && { group: merged.group }),
    umask: o.umask.toString(8).padStart(3, '0'),
    chdir: o.cwd,
    stdout: o.stdout,
    stderr: o.stderr,
    ready_timeout: seconds(o.readyTimeoutMs),
    grace: seconds(o.graceMs),
    log_format: o.logFormat,
    state_file: o.stateFile ?? false,
    ...(o.watchConfig && { watch_config: o.watchConfig }),
    ...(merged.nofile !== undefined && { nofile: Number(merged.nofile) }),
    ...(merged.preventCore ? { prevent_core: true } : merged.core !== undefined && { core: merged.core === 'unlimited' ? 'unlimited' : Number(merged.core) }),
    ...(o.nice !== null && { nice: o.nice }),
    oknodo: merged.oknodo ?? false,
    ...(Object.keys(o.env).length && { env: o.env }),
    ...(o.envFiles.length && { env_file: o.envFiles }),
    ...(o.passEnv.length && { pass_env: o.passEnv }),
    ...(o.inheritEnv && { inherit_env: true }),
    stop: { timeout: merged.stopTimeout ?? 30, ...(merged.retry && { retry: merged.retry }) },
    ...(o.healthPort !== null && { health: { port: o.healthPort, host: o.healthHost } }),
  };
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
  const effective = {
    configFile: layers.configFile,
    entry: o.entry,
    args: o.args,
    name: o.name,
    pidfile: o.pidfile,
    user: merged.user ?? null,
    group: merged.group ?? null,
    umask: o.umask.toString(8).padStart(3, '0'),
    chdir: o.cwd,
    stdout: o.stdout,
    stderr: o.stderr,
    env: o.env,
    envFiles: o.envFiles,
    passEnv: o.passEnv,
    inheritEnv: o.inheritEnv,
    environment: shownEnvironment(o),
    readyTimeoutMs: o.readyTimeoutMs,
    graceMs: o.graceMs,
    logFormat: o.logFormat,
    stateFile: o.stateFile,
    watchConfig: o.watchConfig,
    rlimits: o.rlimits,
    nice: o.nice,
    healthPort: o.healthPort,
    healthHost: o.healthHost,
    stop: { timeout: merged.stopTimeout ?? 30, retry: merged.retry ?? null },
    oknodo: merged.oknodo ?? false,
  };
  if (action === 'check') {
    if (f.json) json({ ok: true, configFile: layers.configFile, name: o.name });
    else out(`config OK${layers.configFile ? `: ${layers.configFile}` : ' (no config file; flags and environment only)'} (daemon ${o.name})`);
    return EXIT.OK;
  }
  if (f.json) json(effective);
  else out(asToml(o, merged, layers.configFile));
  return EXIT.OK;
}
