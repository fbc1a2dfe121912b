// taskdaemon config check|show: validate the effective configuration (file,
// environment, flags) without starting anything, or print it.
import { EXIT } from '../../exit-codes';
import { TaskdaemonError } from '../../errors';
import { json, out } from '../output';
import { resolveDaemon, type DaemonFlags } from '../shared';

export interface ConfigFlags extends DaemonFlags {
  json?: boolean;
}

export function configCommand(action: string | undefined, entry: string | undefined, f: ConfigFlags): number {
  if (action !== 'check' && action !== 'show') {
    throw new TaskdaemonError(`unknown config action '${action ?? ''}'`, { exitCode: EXIT.INVALID_ARGS, code: 'ERR_INVALID_ARG_VALUE', hint: 'use: taskdaemon config check | config show' });
  }
  const { options: o, merged, layers } = resolveDaemon(entry, [], f);
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
  else for (const [k, v] of Object.entries(effective)) out(`${k} = ${JSON.stringify(v)}`);
  return EXIT.OK;
}
