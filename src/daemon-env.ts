// The environment a started daemon gets (daemon(7): "sanitize the environment
// block"). Like systemd and sudo's env_reset, it starts clean: a system PATH,
// the caller's locale and time zone, the identity of the user it runs as, and
// only what it is given. Whoever typed `start` keeps their secrets, agent
// sockets and search path. `--inherit-env` restores the whole caller
// environment; `--pass-env NAME` takes single variables from it.
import { readEnvFile } from './env-file';
import type { ResolvedOptions } from './options';
import { BOOT_ENV } from './runtime/markers';

/** systemd's default PATH for services (and Debian's ENV_SUPATH). */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Variables that describe the caller's service manager (and taskdaemon's own hand-over), never the daemon's or the app's. */
export const MANAGER_VARS: readonly string[] = ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', BOOT_ENV];

const fromCaller = (name: string): boolean => name === 'LANG' || name === 'LANGUAGE' || name === 'TZ' || name.startsWith('LC_');

/** Where each variable came from, for `config show` (values from the caller and env files are masked there). */
export type EnvSource = 'system' | 'caller' | 'user' | 'passed' | 'file' | 'given' | 'inherited';

export interface DaemonEnv {
  env: { [key: string]: string };
  source: { [key: string]: EnvSource };
}

export interface Identity {
  user?: string | undefined;
  home?: string | undefined;
  shell?: string | undefined;
}

export function daemonEnvironment(o: ResolvedOptions, caller: NodeJS.ProcessEnv, id: Identity): DaemonEnv {
  const env: { [key: string]: string } = {};
  const source: { [key: string]: EnvSource } = {};
  const set = (k: string, v: string | undefined, s: EnvSource): void => {
    if (v === undefined) return;
    env[k] = v;
    source[k] = s;
  };
  if (o.inheritEnv) {
    for (const [k, v] of Object.entries(caller)) if (!MANAGER_VARS.includes(k)) set(k, v, 'inherited');
  } else {
    set('PATH', SYSTEM_PATH, 'system');
    for (const [k, v] of Object.entries(caller)) if (fromCaller(k)) set(k, v, 'caller');
  }
  // The identity of the user the daemon runs as, not of whoever started it.
  set('HOME', id.home, 'user');
  set('USER', id.user, 'user');
  set('LOGNAME', id.user, 'user');
  set('SHELL', id.shell, 'user');
  for (const name of o.passEnv) set(name, caller[name], 'passed');
  for (const file of o.envFiles) for (const [k, v] of Object.entries(readEnvFile(file))) set(k, v, 'file');
  for (const [k, v] of Object.entries(o.env)) set(k, v, 'given');
  return { env, source };
}
