// Telling the outside where the daemon is: the readiness pipe to `start`
// (daemon(7) step 14: READY=1, or why not, then the pipe closes) and sd_notify
// to systemd under `run` (READY, RELOADING + MONOTONIC_USEC, STOPPING,
// STATUS). One place, so a phase change is announced the same way to both.
// An instance of a supervisor (DESIGN.md §8) keeps its pipe open after
// READY=1 and goes on telling the supervisor: RELOADING=1 GENERATION=N,
// RELOADED=N (RELOAD_ERROR= when rejected), STOPPING=1.
import * as fs from 'node:fs';
import { sendRecord } from '../readiness';
import type * as Notify from './notify';

export class Announcer {
  private told = false;

  constructor(
    private readyFd: number,
    private readonly notifier: Notify.Notifier | null,
    private readonly monotonicUsec: () => string,
    private readonly supervised = false,
  ) {}

  /** True until readiness (or its failure) was told to `start`. */
  get startPending(): boolean {
    return this.readyFd >= 0 && !this.told;
  }

  ready(): void {
    this.toStarter({ READY: 1, MAINPID: process.pid }, this.supervised);
    this.notifier?.send({ READY: 1, MAINPID: process.pid, STATUS: 'ready' });
  }

  failed(message: string): void {
    this.toStarter({ ERROR: message, MAINPID: process.pid });
    this.notifier?.send({ STATUS: `failed: ${message}`, ERRNO: 0 });
  }

  /** The process is exiting before readiness (process.exit, an uncaught error): `start` says how. */
  exiting(code: number): void {
    this.toStarter({ EXIT: code, MAINPID: process.pid });
  }

  reloading(generation: number): void {
    this.toSupervisor({ RELOADING: 1, GENERATION: generation });
    if (!this.notifier) return;
    this.notifier.send({ RELOADING: 1, MONOTONIC_USEC: this.monotonicUsec(), STATUS: `reloading (generation ${generation})` });
  }

  reloaded(generation: number, error: string | null): void {
    this.toSupervisor({ RELOADED: generation, ...(error !== null && { RELOAD_ERROR: error }) });
    this.notifier?.send({ READY: 1, STATUS: error === null ? `ready (reload ${generation} applied)` : `ready (reload ${generation} rejected: ${error})` });
  }

  stopping(reason: string): void {
    this.toSupervisor({ STOPPING: 1, STATUS: reason });
    this.notifier?.send({ STOPPING: 1, STATUS: `stopping (${reason})` });
  }

  close(): void {
    this.notifier?.close();
  }

  // Once: then the pipe closes, so `start` sees end of file (a supervisor's instance keeps it open).
  private toStarter(fields: { [key: string]: string | number }, keepOpen = false): void {
    if (this.readyFd < 0 || this.told) return;
    this.told = true;
    try {
      sendRecord(this.readyFd, fields);
    } catch {
      /* the starter is gone (EPIPE): nobody to tell */
    }
    if (!keepOpen) this.closePipe();
  }

  // After readiness: what the supervisor keeps track of. A write that fails
  // means the supervisor is gone; the instance carries on without it.
  private toSupervisor(fields: { [key: string]: string | number }): void {
    if (!this.supervised || !this.told || this.readyFd < 0) return;
    try {
      sendRecord(this.readyFd, fields);
    } catch {
      this.closePipe();
    }
  }

  private closePipe(): void {
    try {
      fs.closeSync(this.readyFd);
    } catch {
      /* already closed */
    }
    this.readyFd = -1;
  }
}
