// What `start` hands the native supervisor (native/supervisor/plan.cc) in
// its boot marker, beside the options: everything it acts on, resolved here
// so the C++ side reads plain values (durations in ms, the --listen specs as
// text), and how to exec one instance: file and argv (program-kind.ts) and,
// for a Node entry, the instance's own boot marker, which the supervisor
// passes on unread.
import type { ResolvedOptions } from '../options';
import { execPlan } from '../program-kind';
import type { BootMarker } from '../runtime/markers';
import { packageVersion } from '../version';
import { controlSocketPath } from '../paths';
import type { ReadySpec } from '../ready-spec';

export interface NativeSupervisorPlan {
  pidfile: string | null;
  controlPath: string | null;
  name: string;
  entry: string;
  version: string;
  /** The node the instances run (this one). */
  node: string;
  restart: string;
  restartDelayMs: number;
  restartDelayMaxMs: number;
  restartLimit: { burst: number; intervalMs: number } | null;
  instances: number;
  listen: { fd: number; name: string; spec: string }[];
  graceMs: number;
  readyTimeoutMs: number;
  logFormat: string;
  logLevel: string;
  stdout: string | null;
  stderr: string | null;
  instance: { file: string; argv: string[]; cwd: string | null; program: boolean; marker: string | null };
  /** When a program instance is ready (a Node instance's runtime waits for its own --ready). */
  ready: ReadySpec;
  healthPort: number | null;
  healthHost: string;
  watchConfig: string | null;
}

/** The options an instance's runtime gets: the supervisor's own, minus what the supervisor does itself. */
export function instanceOptions(o: ResolvedOptions): ResolvedOptions {
  return { ...o, healthPort: null, watchConfig: null, supervise: null };
}

export function nativeSupervisorPlan(o: ResolvedOptions, listenFds: { fd: number; name: string }[]): NativeSupervisorPlan {
  const s = o.supervise!;
  const inst = instanceOptions(o);
  const plan = execPlan(inst);
  // The instance's fds: 0-2, the sockets from 3, its readiness pipe, then this marker (instance.cc).
  const readyFd = 3 + listenFds.length;
  const marker: BootMarker | null = plan.runtime ? { v: 2, readyFd, lockFd: -1, controlFd: -1, options: inst, supervised: true } : null;
  return {
    pidfile: o.pidfile,
    controlPath: o.pidfile && controlSocketPath(o.pidfile),
    name: o.name,
    entry: o.entry,
    version: packageVersion(),
    node: process.version,
    restart: s.restart,
    restartDelayMs: s.restartDelayMs,
    restartDelayMaxMs: s.restartDelayMaxMs,
    restartLimit: s.restartLimit,
    instances: s.instances,
    listen: listenFds.map((l, i) => ({ fd: l.fd, name: l.name, spec: s.listen[i]!.text.replace(/^[^=:]+=/, '') })),
    graceMs: o.graceMs,
    readyTimeoutMs: o.readyTimeoutMs,
    logFormat: o.logFormat,
    logLevel: o.logLevel,
    stdout: o.stdout,
    stderr: o.stderr,
    instance: { file: plan.file, argv: plan.argv, cwd: o.cwd, program: !plan.runtime, marker: marker && JSON.stringify(marker) },
    ready: o.ready,
    healthPort: o.healthPort,
    healthHost: o.healthHost,
    watchConfig: o.watchConfig,
  };
}
