// The one environment variable through which `start` tells the exec'd boot
// module what it inherited. Boot reads it and deletes it at once, so the
// user's program and its children never see it.
export const BOOT_ENV = '__TASKDAEMON_BOOT';

export interface BootMarker {
  v: 1;
  name: string;
  /** Write end of the readiness pipe, or -1 in the foreground. */
  readyFd: number;
  /** The locked pidfile's fd, or -1 without a pidfile. */
  lockFd: number;
  pidfile: string | null;
  graceMs: number;
  logFormat: 'text' | 'json';
  stateFile: string | null;
  watchConfig: string | null;
  stdout: string;
  stderr: string;
  /** Listening control socket (DESIGN.md §4), or -1; its path follows from the pidfile. */
  controlFd: number;
  healthPort: number | null;
  healthHost: string;
}
