/**
 * The gateway's read side (decisions.md §4): ONE KV watch on the runs bucket replays every entry
 * at start and then follows every update. It feeds an in-memory index of run summaries that
 * answers every list/filter/sort/cursor query, and a change feed that SSE watchers subscribe to
 * (many watchers of one run cost one KV watch in total, not one each).
 *
 * This file holds the interface; the implementation (`createRunIndex`) lives beside it.
 */
import type { RunSnapshot } from "../domain/run.ts";

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
  /** Latest revision seen for a run, or 0. */
  revision(runId: string): number;
  /** Subscribe to every change of one run (after the change is applied to the index). Returns unsubscribe. */
  subscribe(runId: string, listener: (change: RunChange) => void): () => void;
  /** Subscribe to every change of any run. Returns unsubscribe. */
  onChange(listener: (change: RunChange) => void): () => void;
  stop(): void;
}
