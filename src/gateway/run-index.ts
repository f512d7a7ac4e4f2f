/**
 * The gateway's read side (decisions.md §4): ONE KV watch on the runs bucket replays every entry
 * at start and then follows every update. It feeds an in-memory index of run summaries that
 * answers every list/filter/sort/cursor query, and a change feed that SSE watchers subscribe to
 * (many watchers of one run cost one KV watch in total, not one each).
 *
 * This file holds the interface and, below it, the implementation (`createRunIndex`).
 */
import { summarize, type RunSnapshot } from "../domain/run.ts";
import type { KvStore, WatchEntry } from "../jetstream/index.ts";
import type { Logger } from "../lib/log.ts";
import { RunOrder, type RunKey } from "./run-order.ts";

export interface RunChange {
  runId: string;
  /** KV revision of this write (used as the SSE event id). */
  revision: number;
  /** The full stored snapshot, or null when the key was deleted. */
  snapshot: RunSnapshot | null;
}

export interface ListQuery {
  status?: string;
  flow?: string;
  tag?: string;
  workflowYamlSha256?: string;
  scheduleId?: string;
  /** Keep runs with updated_at strictly greater. */
  updatedAfter?: number;
  /** Decoded cursor: keep runs whose (updated_at, run_id) is strictly less. */
  before?: { updatedAt: number; runId: string };
  tenantId?: string | null;
  limit: number;
}

export interface ListPage {
  /** Summaries (http-contract.md §1.11 list view), newest (updated_at, run_id) first. */
  items: Record<string, unknown>[];
  /** The last item's sort key when more items remain after this page, else null. */
  next: { updatedAt: number; runId: string } | null;
}

export interface RunIndex {
  /** Resolves when the initial replay has been applied. */
  readonly ready: Promise<void>;
  readonly isReady: boolean;
  /** Number of runs indexed. */
  readonly size: number;
  list(query: ListQuery): ListPage;
  /** Summary of one run, if indexed. */
  summary(runId: string): Record<string, unknown> | undefined;
  /** Run counts by status (for metrics): all, and those with updated_at on the server's local date today. */
  countsByStatus(now: number): { total: Record<string, number>; today: Record<string, number> };
  /**
   * A write this gateway made (a submit's PENDING snapshot), applied at once: a list right after
   * the submit shows the run, and the watch's echo of that revision is then skipped undecoded.
   */
  recordOwnWrite(runId: string, revision: number, snapshot: RunSnapshot): void;
  /** Latest revision seen for a run, or 0. */
  revision(runId: string): number;
  /** Subscribe to every change of one run (after the change is applied to the index). Returns unsubscribe. */
  subscribe(runId: string, listener: (change: RunChange) => void): () => void;
  /** Subscribe to every change of any run. Returns unsubscribe. */
  onChange(listener: (change: RunChange) => void): () => void;
  stop(): void;
}

// ---------------------------------------------------------------------------------------------
// Implementation


/**
 * What the index keeps per run: the sort key, the list view, and the filter fields again in a
 * fixed-shape object (summaries differ in shape, which makes scans several times slower) —
 * never the full snapshot. About 0.5 KB per run.
 */
interface IndexedRun extends RunKey {
  revision: number;
  summary: Record<string, unknown>;
  status: unknown;
  flow: unknown;
  tag: unknown;
  sha256: unknown;
  scheduleId: unknown;
  tenantId: unknown;
}

/** Python's `float(updated_at or 0)`: numbers and numeric strings; anything else sorts as 0. */
function sortTime(v: unknown): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return 0;
}

/**
 * One copy of each short repeated value (status, flow, tag, worker, tags lists): JSON parsing makes
 * a new string per run, and 100,000 runs share a handful of them. Bounded, so unique values
 * cannot grow it without limit.
 */
class Interner {
  #strings = new Map<string, string>();
  #lists = new Map<string, readonly string[]>();
  static readonly MAX = 20_000;

  value(v: unknown): unknown {
    if (typeof v === "string") return v.length <= 80 ? this.#string(v) : v;
    if (Array.isArray(v) && v.length <= 8 && v.every((x) => typeof x === "string")) return this.#list(v as string[]);
    return v;
  }

  #string(v: string): string {
    const known = this.#strings.get(v);
    if (known !== undefined) return known;
    if (this.#strings.size < Interner.MAX) this.#strings.set(v, v);
    return v;
  }

  #list(v: string[]): readonly string[] {
    const key = v.join("\u0000");
    const known = this.#lists.get(key);
    if (known) return known;
    const frozen = Object.freeze(v.map((x) => this.#string(x)));
    if (this.#lists.size < Interner.MAX) this.#lists.set(key, frozen);
    return frozen;
  }
}

const INTERNED_KEYS = ["schedule_id", "flow_name", "tag", "tags", "tenant_id", "api_key_id", "status", "worker_id"];

function toIndexed(runId: string, revision: number, snap: RunSnapshot, interner: Interner): IndexedRun {
  const summary = summarize(snap);
  for (const key of INTERNED_KEYS) if (key in summary) summary[key] = interner.value(summary[key]);
  return {
    runId, updatedAt: sortTime(snap.updated_at), revision, summary,
    status: summary.status, flow: summary.flow_name, tag: summary.tag, sha256: snap.workflow_yaml_sha256,
    scheduleId: summary.schedule_id, tenantId: summary.tenant_id ?? null,
  };
}

function matches(run: IndexedRun, q: ListQuery): boolean {
  return (q.status === undefined || run.status === q.status)
    && (q.flow === undefined || run.flow === q.flow)
    && (q.tag === undefined || run.tag === q.tag)
    && (q.workflowYamlSha256 === undefined || run.sha256 === q.workflowYamlSha256)
    && (q.scheduleId === undefined || run.scheduleId === q.scheduleId)
    && (q.tenantId === undefined || run.tenantId === q.tenantId);
}

function startOfLocalDay(nowSec: number): number {
  const d = new Date(nowSec * 1000);
  d.setHours(0, 0, 0, 0);
  return d.getTime() / 1000;
}

/**
 * Build the run index over `runs`: one KV watch; summaries in memory; listeners get every change
 * with the full snapshot as it streams by. Replayed entries are collected first and sorted once.
 */
export function createRunIndex(runs: KvStore<RunSnapshot>, log: Logger): RunIndex {
  const byId = new Map<string, IndexedRun>();
  const order = new RunOrder<IndexedRun>();
  const statusCounts = new Map<string, number>();
  const perRun = new Map<string, Set<(c: RunChange) => void>>();
  const anyRun = new Set<(c: RunChange) => void>();
  const interner = new Interner();
  let ready = false;

  const count = (status: unknown, delta: number) => {
    const key = typeof status === "string" && status ? status : "UNKNOWN";
    const n = (statusCounts.get(key) ?? 0) + delta;
    if (n > 0) statusCounts.set(key, n); else statusCounts.delete(key);
  };

  const notify = (listeners: Iterable<(c: RunChange) => void>, change: RunChange) => {
    for (const fn of listeners) {
      try { fn(change); } catch (err) { log.error("run change listener failed", { run_id: change.runId, err }); }
    }
  };

  const apply = (entry: WatchEntry<RunSnapshot>) => {
    const old = byId.get(entry.key);
    if (old && old.revision > entry.revision) return;   // a resumed watch may replay what we already have
    if (old) {
      byId.delete(entry.key);
      count(old.status, -1);
      if (ready) order.remove(old);
    }
    // An undecodable value counts as gone: it cannot be listed or summarised.
    const snapshot = entry.value && typeof entry.value === "object" && !Array.isArray(entry.value) ? entry.value : null;
    if (snapshot) {
      const run = toIndexed(entry.key, entry.revision, snapshot, interner);
      byId.set(entry.key, run);
      count(run.status, +1);
      if (ready) order.insert(run);
    }
    const change: RunChange = { runId: entry.key, revision: entry.revision, snapshot };
    const subs = perRun.get(entry.key);
    if (subs) notify(subs, change);
    if (anyRun.size) notify(anyRun, change);
  };

  const known = (runId: string, revision: number) => (byId.get(runId)?.revision ?? 0) >= revision;
  const watch = runs.watch(apply, { known });
  const readyPromise = watch.ready.then(() => {
    order.load([...byId.values()]);
    ready = true;
    // The replay parsed every full snapshot once; collect that garbage now rather than carrying
    // it (at 100,000 runs: ~200 MB resident before, ~140 MB after).
    Bun.gc(true);
    log.info("run index ready", { runs: byId.size });
  });
  readyPromise.catch((err) => log.error("run index replay failed", { err }));

  return {
    ready: readyPromise,
    get isReady() { return ready; },
    get size() { return byId.size; },

    recordOwnWrite(runId, revision, snapshot) {
      if (!known(runId, revision)) apply({ key: runId, revision, value: snapshot, op: "PUT" });
    },

    list(query: ListQuery): ListPage {
      const items: Record<string, unknown>[] = [];
      let last: IndexedRun | undefined;
      let more = false;
      order.walk(query.before, (run) => {
        // Sorted newest first: once updated_at is not above the bound, nothing later can be.
        if (query.updatedAfter !== undefined && !(run.updatedAt > query.updatedAfter)) return false;
        if (!matches(run, query)) return true;
        if (items.length === query.limit) { more = true; return false; }
        items.push(run.summary);
        last = run;
        return true;
      });
      return { items, next: more && last ? { updatedAt: last.updatedAt, runId: last.runId } : null };
    },

    summary: (runId) => byId.get(runId)?.summary,

    countsByStatus(now: number) {
      const total = Object.fromEntries(statusCounts);
      const today: Record<string, number> = {};
      const dayStart = startOfLocalDay(now);
      const dayEnd = dayStart + 86_400 + 3_600;   // + 1 h: a DST day can be 25 h long
      order.walk(undefined, (run) => {
        if (run.updatedAt < dayStart) return false;
        if (run.updatedAt <= 0 || run.updatedAt >= dayEnd) return true;
        if (startOfLocalDay(run.updatedAt) !== dayStart) return true;
        const key = typeof run.status === "string" && run.status ? run.status : "UNKNOWN";
        today[key] = (today[key] ?? 0) + 1;
        return true;
      });
      return { total, today };
    },

    revision: (runId) => byId.get(runId)?.revision ?? 0,

    subscribe(runId, listener) {
      let set = perRun.get(runId);
      if (!set) { set = new Set(); perRun.set(runId, set); }
      set.add(listener);
      return () => {
        const s = perRun.get(runId);
        if (!s) return;
        s.delete(listener);
        if (s.size === 0) perRun.delete(runId);
      };
    },

    onChange(listener) {
      anyRun.add(listener);
      return () => { anyRun.delete(listener); };
    },

    stop() {
      watch.stop();
      perRun.clear();
      anyRun.clear();
    },
  };
}
