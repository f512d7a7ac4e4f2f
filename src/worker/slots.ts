/**
 * The shared run-slot limit behind the per-tag pull loops (decisions.md §3.13, §7). A tag loop
 * waits until a slot is free before it pulls, then claims one for the job it got. When another
 * tag claimed the last slot meanwhile, the job waits in FIFO order (kept alive by the caller with
 * `working()`), so every tag is served in arrival order and no tag can starve another.
 * No I/O; fully deterministic.
 */
export class SlotGate {
  #inUse = 0;
  #claimWaiters: Array<() => void> = [];
  #freeWaiters: Array<() => void> = [];

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be >= 1, got ${capacity}`);
  }

  get inUse(): number { return this.#inUse; }
  get hasFree(): boolean { return this.#inUse < this.capacity; }

  /** Resolves (without claiming) once a slot is free, or when `signal` aborts. */
  whenFree(signal?: AbortSignal): Promise<void> {
    if (this.hasFree || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener("abort", done);
        const i = this.#freeWaiters.indexOf(done);
        if (i >= 0) this.#freeWaiters.splice(i, 1);
        resolve();
      };
      this.#freeWaiters.push(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Claim a slot at once if one is free and nobody is queued. */
  tryClaim(): boolean {
    if (!this.hasFree || this.#claimWaiters.length > 0) return false;
    this.#inUse += 1;
    return true;
  }

  /** Claim a slot, queueing FIFO behind earlier claimers. Rejects only when `signal` aborts first. */
  claim(signal?: AbortSignal): Promise<void> {
    if (this.tryClaim()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error("aborted"));
      const grant = () => { signal?.removeEventListener("abort", abort); this.#inUse += 1; resolve(); };
      const abort = () => {
        const i = this.#claimWaiters.indexOf(grant);
        if (i >= 0) this.#claimWaiters.splice(i, 1);
        reject(signal!.reason ?? new Error("aborted"));
      };
      this.#claimWaiters.push(grant);
      signal?.addEventListener("abort", abort, { once: true });
    });
  }

  /** Give a slot back: the oldest queued claimer gets it, else the tag loops waiting for a free slot wake. */
  release(): void {
    if (this.#inUse <= 0) throw new Error("release without claim");
    this.#inUse -= 1;
    const next = this.#claimWaiters.shift();
    if (next) { next(); return; }
    for (const wake of this.#freeWaiters.splice(0)) wake();
  }
}
