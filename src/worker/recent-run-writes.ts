/**
 * The latest write of each run this worker does not hold, as its cancel watch saw it: raw bytes,
 * decoded only when taken. The gateway writes a run's PENDING snapshot just before it queues the
 * job, so when the job arrives its snapshot is usually here and the pickup read (one KV request
 * per run, docs/performance.md) is skipped.
 *
 * Safe when stale: the worker's RUNNING write is compare-and-set on the revision taken from here,
 * so if anything newer was written meanwhile (a cancel, another delivery's takeover) the write
 * conflicts, re-reads and reconciles exactly as after a pickup read that raced with that write.
 *
 *   const recent = new RecentRunWrites();
 *   js.runs.watchUpdates(onHeld, { wanted: isHeld, skipped: (k, rev, raw) => recent.record(k, rev, raw) });
 *   const existing = recent.take(runId) ?? await js.runs.get(runId);
 */
import { parseWireBytes } from "../domain/json.ts";
import type { RunSnapshot } from "../domain/run.ts";
import type { Versioned } from "../jetstream/index.ts";

/** A queue of 10,000 runs waiting for this worker is covered; about 6 MB at a typical 600-byte snapshot. */
const DEFAULT_MAX_ENTRIES = 10_000;
/** Big snapshots (large params) must not grow the worker: the oldest entries go first. */
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export class RecentRunWrites {
  #entries = new Map<string, { revision: number; raw: Uint8Array }>();
  #bytes = 0;

  constructor(private readonly limits: { maxEntries?: number; maxBytes?: number } = {}) {}

  get size(): number { return this.#entries.size; }

  /** A write seen by the watch; `raw` null = deleted or purged (nothing to start from). */
  record(key: string, revision: number, raw: Uint8Array | null): void {
    this.#drop(key);
    if (raw === null) return;
    const copy = raw.slice();   // the watch hands a view into NATS's read buffer
    this.#entries.set(key, { revision, raw: copy });
    this.#bytes += copy.length;
    const maxEntries = this.limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
    const maxBytes = this.limits.maxBytes ?? DEFAULT_MAX_BYTES;
    while (this.#entries.size > maxEntries || this.#bytes > maxBytes) {
      const oldest = this.#entries.keys().next().value as string;
      this.#drop(oldest);
    }
  }

  /** The stored snapshot and its revision, removed from the cache; undefined when unknown or undecodable. */
  take(key: string): Versioned<RunSnapshot> | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#drop(key);
    try {
      const value = parseWireBytes(entry.raw);
      if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
      return { value: value as RunSnapshot, revision: entry.revision };
    } catch {
      return undefined;
    }
  }

  #drop(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#bytes -= entry.raw.length;
    this.#entries.delete(key);
  }
}
