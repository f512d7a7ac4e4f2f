/**
 * How a stored snapshot is shown over HTTP (http-contract.md §1.9–§1.10, §1.13): the run view
 * without task records, the tasks view, the liveness enrichment from the worker registry, and
 * the cancel transition.
 */
import { isTerminal, type RunSnapshot } from "../../domain/run.ts";
import { deriveWorkerState, isAlive, normalizeWorkerRecord } from "../../domain/worker-record.ts";
import type { Caller } from "../route-context.ts";
import type { GatewayDeps } from "../deps.ts";

const RECORD_INCLUDES = ["records", "task_records", "full", "all"];

export function includesRecords(include: string[]): boolean {
  return include.some((v) => RECORD_INCLUDES.includes(v));
}

export function includesFull(include: string[]): boolean {
  return include.includes("full") || include.includes("all");
}

/** The snapshot as stored, minus `task_records` and `task_records_truncated`. */
export function runView(snapshot: RunSnapshot): RunSnapshot {
  const { task_records: _r, task_records_truncated: _t, ...rest } = snapshot;
  return rest as RunSnapshot;
}

export function tasksView(runId: string, s: RunSnapshot): Record<string, unknown> {
  return {
    run_id: s.run_id ?? runId,
    flow_name: s.flow_name,
    status: s.status,
    tasks: s.tasks || {},
    task_records: s.task_records || {},
    task_records_truncated: Boolean(s.task_records_truncated),
  };
}

/**
 * Adds worker_alive/worker_state/worker_heartbeat_at (+ worker_hidden/worker_tags) when the run
 * names a worker. A missing record means DISCONNECTED; any failure leaves the view as it is —
 * the enrichment must never fail the request (http-contract.md §8 item 7).
 */
export async function withLiveness(deps: Pick<GatewayDeps, "js" | "clock" | "settings" | "log">, view: RunSnapshot): Promise<RunSnapshot> {
  const workerId = view.worker_id;
  if (!workerId || typeof workerId !== "string") return view;
  try {
    const found = await deps.js.workers.get(workerId);
    if (!found) return { ...view, worker_alive: false, worker_state: "DISCONNECTED", worker_heartbeat_at: null };
    if (typeof found.value !== "object" || found.value === null || Array.isArray(found.value)) return view;
    const record = normalizeWorkerRecord(found.value as Record<string, unknown>, workerId);
    const state = deriveWorkerState(record, deps.clock.now(), deps.settings.workerDisconnectTimeoutSec);
    return {
      ...view, worker_alive: isAlive(state), worker_state: state, worker_heartbeat_at: record.last_heartbeat_at,
      worker_hidden: record.hidden, worker_tags: record.tags,
    };
  } catch (err) {
    deps.log.warn("worker liveness lookup failed", { run_id: view.run_id, worker_id: workerId, err });
    return view;
  }
}

/**
 * The cancel transition (http-contract.md §1.13, decisions.md §3.5–3.6), or null to write nothing
 * (terminal runs are returned as they are).
 */
export function cancelTransition(current: RunSnapshot, opts: { now: number; caller: Caller | null; reason?: string | null }): RunSnapshot | null {
  const status = String(current.status ?? "").toUpperCase();
  if (isTerminal(status)) return null;
  if (status === "PENDING_APPROVAL") return { ...current, status: "CANCELLED", end_time: opts.now, updated_at: opts.now };
  const earlier = current.cancel_requested_at;
  const next: RunSnapshot = {
    ...current,
    status: "CANCELLING",
    cancel_requested_at: typeof earlier === "number" && earlier > 0 ? earlier : opts.now,
    cancel_requested_by: opts.caller ? `api_key:${opts.caller.apiKeyId}` : "api",
    updated_at: opts.now,
  };
  if (opts.reason !== undefined && opts.reason !== null) next.cancel_reason = opts.reason;
  return next;
}
