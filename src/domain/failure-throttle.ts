/**
 * Throttling of repeated failures (issue 10: API-key guessing). Each subject (a key id, a client
 * address) may fail `limit` times within `windowSec`; after that it is refused until its oldest
 * failure in the window ages out. Pure: the caller passes the time. Bounded memory: at most
 * `maxSubjects` subjects are tracked (the oldest are forgotten first).
 */
export interface ThrottleOptions { limit: number; windowSec: number; maxSubjects?: number }

export class FailureThrottle {
  readonly #failures = new Map<string, number[]>();
  constructor(private readonly opts: ThrottleOptions) {}

  /** Seconds until `subject` may try again, or 0 when it may try now. */
  retryAfter(subject: string, now: number): number {
    const times = this.#recent(subject, now);
    if (times.length < this.opts.limit) return 0;
    return Math.max(0, times[times.length - this.opts.limit]! + this.opts.windowSec - now);
  }

  fail(subject: string, now: number): void {
    const times = this.#recent(subject, now);
    times.push(now);
    if (times.length > this.opts.limit) times.splice(0, times.length - this.opts.limit);
    this.#failures.delete(subject);   // re-insert: Map order = least recently failed first
    this.#failures.set(subject, times);
    const max = this.opts.maxSubjects ?? 100_000;
    while (this.#failures.size > max) this.#failures.delete(this.#failures.keys().next().value!);
  }

  #recent(subject: string, now: number): number[] {
    const times = this.#failures.get(subject);
    if (!times) return [];
    const fresh = times.filter((t) => now - t < this.opts.windowSec);
    if (fresh.length === 0) this.#failures.delete(subject);
    return fresh;
  }
}
