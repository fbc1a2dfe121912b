// When an instance that ended is started again, per slot: after
// --restart-delay, doubled after each consecutive quick failure up to
// --restart-delay-max, back to --restart-delay once an instance stayed up
// STAYED_UP_MS (10 s). Past --restart-limit (more than BURST restarts within
// INTERVAL, systemd's StartLimitBurst=/StartLimitIntervalSec=) it gives up.
// Pure: the supervisor passes the clock in, the unit test drives it.
import { STAYED_UP_MS, type Supervision } from './options';

export type Decision = { restart: true; delayMs: number; count: number } | { restart: false; count: number; intervalMs: number };

export class Backoff {
  private delayMs: number;
  /** When each restart within the limit's interval was decided. */
  private recent: number[] = [];

  constructor(private readonly s: Pick<Supervision, 'restartDelayMs' | 'restartDelayMaxMs' | 'restartLimit'>) {
    this.delayMs = s.restartDelayMs;
  }

  /** An instance ended `uptimeMs` after its start, at `now`: restart it after a delay, or give up. */
  next(uptimeMs: number, now: number): Decision {
    if (uptimeMs >= STAYED_UP_MS) this.delayMs = this.s.restartDelayMs;
    const limit = this.s.restartLimit;
    if (limit) {
      this.recent = this.recent.filter((t) => now - t < limit.intervalMs);
      if (this.recent.length >= limit.burst) return { restart: false, count: this.recent.length, intervalMs: limit.intervalMs };
    }
    this.recent.push(now);
    const delayMs = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.s.restartDelayMaxMs);
    return { restart: true, delayMs, count: this.recent.length };
  }

  /** A new instance replaced the old on purpose (restart --graceful): its failures start a new count. */
  reset(): void {
    this.delayMs = this.s.restartDelayMs;
    this.recent = [];
  }
}
