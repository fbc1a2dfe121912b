// Reloads never overlap, and a burst of them is coalesced: a request while
// one runs asks for exactly one more afterwards, which covers every request
// made meanwhile. Requests during start-up run once the daemon is ready;
// during shutdown they are ignored. Waiters (`taskdaemon reload`, the control
// socket) get the result once the coalesced reloads have all finished.
import type { ReloadResult } from './define';
import { isoTime } from '../iso-time';

export interface ReloadHooks {
  /** May a reload run now? 'defer' while starting, 'ignore' while stopping. */
  readiness(): 'now' | 'defer' | 'ignore';
  /** Apply one reload; throw to reject it (the old config stays). */
  apply(): Promise<void>;
  began(generation: number, source: string): void;
  ended(result: ReloadResult): void;
  /** Told when a request is deferred or ignored, for the log. */
  skipped(source: string, why: 'deferred' | 'ignored'): void;
}

export class Reloads {
  generation = 0;
  count = 0;
  last: ReloadResult | null = null;
  private running: Promise<void> | null = null;
  private pending = false;
  private deferred = false;
  private waiters: (() => void)[] = [];
  private stopping = false;

  constructor(private readonly hooks: ReloadHooks) {}

  get inProgress(): boolean {
    return this.running !== null;
  }

  /** The reload in progress (shutdown waits for it), or null. */
  get current(): Promise<void> | null {
    return this.running;
  }

  /** No more reloads after the one in progress. */
  stop(): void {
    this.stopping = true;
  }

  /** Ask for a reload; resolves when it (or the one it joined) has finished. */
  request(source: string): Promise<void> {
    const when = this.stopping ? 'ignore' : this.hooks.readiness();
    if (when === 'ignore') {
      this.hooks.skipped(source, 'ignored');
      return Promise.resolve();
    }
    if (when === 'defer') {
      this.deferred = true;
      this.hooks.skipped(source, 'deferred');
      return Promise.resolve();
    }
    if (this.running) {
      this.pending = true;
      return this.running;
    }
    this.running = this.loop(source).finally(() => {
      this.running = null;
      for (const wake of this.waiters.splice(0)) wake();
    });
    return this.running;
  }

  /** Start-up is over: run a reload asked for meanwhile. */
  startupDone(): void {
    if (this.deferred) void this.request('SIGHUP during start');
    this.deferred = false;
  }

  private async loop(source: string): Promise<void> {
    do {
      this.pending = false;
      await this.once(source);
      source = 'coalesced requests';
    } while (this.pending && !this.stopping);
  }

  private async once(source: string): Promise<void> {
    const generation = ++this.generation;
    this.hooks.began(generation, source);
    let error: string | null = null;
    try {
      await this.hooks.apply();
    } catch (err) {
      error = err instanceof Error ? err.message || err.name : String(err);
    }
    this.count++;
    this.last = { generation, ok: error === null, error, at: isoTime() };
    this.hooks.ended(this.last);
  }

  /** The result of the reloads after generation `after`, once none is running; null after timeoutMs. */
  awaitResult(after: number, timeoutMs: number): Promise<ReloadResult | null> {
    return new Promise((resolve) => {
      const settled = (): boolean => this.generation > after && !this.running;
      if (settled()) return resolve(this.last);
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(null);
      }, timeoutMs);
      const wake = (): void => {
        if (!settled()) return void this.waiters.push(wake); // woken by an earlier reload
        clearTimeout(timer);
        resolve(this.last);
      };
      this.waiters.push(wake);
    });
  }
}
