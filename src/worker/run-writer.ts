/**
 * The one writer of a run's KV entry while this worker holds the run. Every write is
 * compare-and-set on the last revision seen (decisions.md §3.6); on a conflict it re-reads and
 * re-applies through `reconcile`, so a concurrent cancel is never lost and a newer delivery is
 * never overwritten. Writes are serialised; progress writes are coalesced to at most one per
 * `coalesceMs` (wire-contract.md §5.5: 0.25 s).
 */
import { RevisionConflictError } from "../domain/errors.ts";
import type { RunSnapshot } from "../domain/run.ts";
import { reconcile } from "../domain/snapshot-writer.ts";
import type { KvStore } from "../jetstream/index.ts";
import type { Clock } from "../lib/clock.ts";

export type WriteResult = { written: true } | { written: false; reason: "terminal" | "superseded" };

const MAX_CAS_ATTEMPTS = 20;

export class RunWriter {
  #desired: RunSnapshot;
  #stored: RunSnapshot | null;
  #revision: number;
  #chain: Promise<unknown> = Promise.resolve();
  #progressTimer: ReturnType<typeof setTimeout> | null = null;
  #lastWriteAt = 0;
  #closed = false;
  /** Set once a write found the run terminal or owned by a newer delivery: nothing more is written. */
  blocked: "terminal" | "superseded" | null = null;

  constructor(
    private readonly kv: KvStore<RunSnapshot>,
    readonly runId: string,
    stored: { value: RunSnapshot; revision: number } | null,
    desired: RunSnapshot,
    private readonly opts: {
      maxSnapshotBytes: number; clock: Clock; coalesceMs?: number;
      /** Called with every stored value seen on a conflict re-read (cancel detection). */
      onStoredSeen?: (stored: RunSnapshot) => void;
      /** A coalesced progress write failed (logged by the caller; the next write retries). */
      onBackgroundError?: (err: unknown) => void;
    },
  ) {
    this.#stored = stored?.value ?? null;
    this.#revision = stored?.revision ?? 0;
    this.#desired = desired;
  }

  get desired(): RunSnapshot { return this.#desired; }
  get stored(): RunSnapshot | null { return this.#stored; }

  /** Change the local view only; nothing is written until `write()` or `scheduleProgress()`. */
  update(change: (current: RunSnapshot) => RunSnapshot): void {
    this.#desired = change(this.#desired);
  }

  /** A newer stored value seen elsewhere (the KV watch): adopt it so the next CAS does not conflict. */
  observe(value: RunSnapshot, revision: number): void {
    if (revision > this.#revision) { this.#stored = value; this.#revision = revision; }
  }

  /** Write the local view now (serialised after any write in flight). Throws NatsUnavailableError. */
  write(): Promise<WriteResult> {
    this.#cancelProgress();
    const p = this.#chain.then(() => this.#writeNow());
    this.#chain = p.catch(() => undefined);
    return p;
  }

  /** Coalesced progress write: at most one per `coalesceMs`; later changes join the pending one. */
  scheduleProgress(): void {
    if (this.#closed || this.#progressTimer || this.blocked) return;
    const gap = this.opts.coalesceMs ?? 250;
    const wait = Math.max(0, this.#lastWriteAt + gap - Date.now());
    this.#progressTimer = setTimeout(() => {
      this.#progressTimer = null;
      if (this.#closed) return;
      this.write().catch((err) => this.opts.onBackgroundError?.(err));
    }, wait);
  }

  /** Stop scheduled progress writes and wait for writes in flight (before the terminal write or settle). */
  async settle(): Promise<void> {
    this.#cancelProgress();
    await this.#chain;
  }

  close(): void {
    this.#closed = true;
    this.#cancelProgress();
  }

  #cancelProgress() {
    if (this.#progressTimer) { clearTimeout(this.#progressTimer); this.#progressTimer = null; }
  }

  async #writeNow(): Promise<WriteResult> {
    if (this.blocked) return { written: false, reason: this.blocked };
    for (let i = 0; i < MAX_CAS_ATTEMPTS; i++) {
      const r = reconcile(this.#stored, this.#desired, this.opts.clock.now(), this.opts.maxSnapshotBytes);
      if (!r.write) { this.blocked = r.reason; return { written: false, reason: r.reason }; }
      try {
        this.#revision = this.#stored === null
          ? await this.kv.create(this.runId, r.value)
          : await this.kv.update(this.runId, r.value, this.#revision);
        this.#stored = r.value;
        this.#lastWriteAt = Date.now();
        return { written: true };
      } catch (err) {
        if (!(err instanceof RevisionConflictError)) throw err;
        const current = await this.kv.get(this.runId);
        this.#stored = current?.value ?? null;
        this.#revision = current?.revision ?? 0;
        if (this.#stored) this.opts.onStoredSeen?.(this.#stored);
      }
    }
    throw new RevisionConflictError(this.runId);
  }
}
