/**
 * The runs table's pure logic: merging list pages and live snapshots, client-side filtering and
 * sorting, status counts and durations. No DOM, no fetch: tested in tests/unit/dashboard.
 */
import { isTerminal, type RunSnapshot } from "../domain/run.ts";
import { epoch } from "./format.ts";

/** One row: a `GET /runs` list-view item (or a whole snapshot merged in from the detail). */
export type RunRow = Pick<RunSnapshot, "run_id" | "status"> & Partial<RunSnapshot>;

export const STATUS_FILTERS = ["ALL", "ACTIVE", "PENDING", "RUNNING", "CANCELLING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export const SORT_KEYS = ["ops_default", "status", "run_id", "flow_name", "tag", "worker_id", "start_time", "duration", "updated_at", "end_time"] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = "asc" | "desc";

export interface RunFilter {
  status: StatusFilter;
  /** Substring, case-insensitive, on the flow name. */
  flow: string;
  /** Substring, case-insensitive, on the tag (and tags). */
  tag: string;
  /** Substring, case-insensitive, on run id, flow, tag and worker. */
  search: string;
  /** Substring, case-insensitive, on the worker id. */
  worker: string;
}

export const EMPTY_FILTER: RunFilter = { status: "ALL", flow: "", tag: "", search: "", worker: "" };

const ACTIVE = new Set(["PENDING", "PENDING_APPROVAL", "RUNNING", "CANCELLING"]);

export function isActive(status: unknown): boolean {
  return typeof status === "string" && ACTIVE.has(status);
}

export function updatedAt(r: RunRow): number {
  return epoch(r.updated_at) ?? 0;
}

/**
 * The newer of two versions of a run, by updated_at (a tie takes the incoming one, so a whole
 * snapshot can enrich a list item). An older answer arriving late (a cancel response after the
 * watch already showed CANCELLED) never wins. Fields the incoming version lacks are kept.
 */
export function newerRun(current: RunRow | null | undefined, incoming: RunRow): RunRow {
  if (!current) return incoming;
  if (updatedAt(current) > updatedAt(incoming)) return current;
  return { ...current, ...incoming };
}

/** Merge `incoming` into the map with newerRun; true when the map changed. */
export function mergeRun(map: Map<string, RunRow>, incoming: RunRow): boolean {
  const current = map.get(incoming.run_id);
  const next = newerRun(current, incoming);
  if (next === current) return false;
  map.set(incoming.run_id, next);
  return true;
}

/** Milliseconds the run took (or has taken so far, for an active run), or null when unknown. */
export function runDurationMs(r: RunRow, now: number): number | null {
  const start = epoch(r.start_time);
  if (start === null) return null;
  const end = epoch(r.end_time) ?? (isTerminal(r.status) ? epoch(r.updated_at) : now);
  return end === null ? null : Math.max(0, (end - start) * 1000);
}

function contains(value: unknown, needle: string): boolean {
  return typeof value === "string" && value.toLowerCase().includes(needle);
}

export function matchesFilter(r: RunRow, f: RunFilter): boolean {
  if (f.status === "ACTIVE" ? !isActive(r.status) : f.status !== "ALL" && r.status !== f.status) return false;
  const flow = f.flow.trim().toLowerCase();
  if (flow && !contains(r.flow_name, flow)) return false;
  const tag = f.tag.trim().toLowerCase();
  if (tag && !contains(r.tag, tag) && !(r.tags ?? []).some((t) => contains(t, tag))) return false;
  const worker = f.worker.trim().toLowerCase();
  if (worker && !contains(r.worker_id, worker)) return false;
  const q = f.search.trim().toLowerCase();
  if (q && !(contains(r.run_id, q) || contains(r.flow_name, q) || contains(r.tag, q) || contains(r.worker_id, q))) return false;
  return true;
}

/** Ops priority: what needs attention first (active, then failed/cancelled, then completed). */
function opsRank(status: string): number {
  if (isActive(status)) return 0;
  if (status === "FAILED" || status === "CANCELLED") return 1;
  if (status === "COMPLETED") return 2;
  return 3;
}

function numericKey(r: RunRow, key: SortKey, now: number): number | null {
  if (key === "duration") return runDurationMs(r, now);
  return epoch(r[key as keyof RunRow]);
}

function byRecency(a: RunRow, b: RunRow): number {
  return updatedAt(b) - updatedAt(a) || String(b.run_id).localeCompare(String(a.run_id));
}

/** A comparator for `rows.sort()`. Unknown values sort last in both directions. */
export function runComparator(key: SortKey, dir: SortDir, now: number): (a: RunRow, b: RunRow) => number {
  const sign = dir === "asc" ? 1 : -1;
  if (key === "ops_default") return (a, b) => opsRank(a.status) - opsRank(b.status) || byRecency(a, b);
  if (key === "start_time" || key === "updated_at" || key === "end_time" || key === "duration") {
    return (a, b) => {
      const va = numericKey(a, key, now), vb = numericKey(b, key, now);
      if (va === null || vb === null) return va === vb ? byRecency(a, b) : va === null ? 1 : -1;
      return sign * (va - vb) || byRecency(a, b);
    };
  }
  return (a, b) => {
    const va = String(a[key as keyof RunRow] ?? "").toLowerCase(), vb = String(b[key as keyof RunRow] ?? "").toLowerCase();
    if (!va || !vb) return va === vb ? byRecency(a, b) : !va ? 1 : -1;
    return sign * va.localeCompare(vb) || byRecency(a, b);
  };
}

export function visibleRuns(rows: Iterable<RunRow>, f: RunFilter, key: SortKey, dir: SortDir, now: number): RunRow[] {
  const out: RunRow[] = [];
  for (const r of rows) if (matchesFilter(r, f)) out.push(r);
  return out.sort(runComparator(key, dir, now));
}

export interface StatusCounts { all: number; active: number; completed: number; failed: number }

export function statusCounts(rows: Iterable<RunRow>): StatusCounts {
  const c: StatusCounts = { all: 0, active: 0, completed: 0, failed: 0 };
  for (const r of rows) {
    c.all++;
    if (isActive(r.status)) c.active++;
    else if (r.status === "COMPLETED") c.completed++;
    else if (r.status === "FAILED" || r.status === "CANCELLED") c.failed++;
  }
  return c;
}

/** Cancel is offered for queued and running runs (http-contract.md §6.2). */
export function canCancel(status: unknown): boolean {
  return status === "PENDING" || status === "RUNNING";
}
