/**
 * The worker's run snapshot, built and updated purely (wire-contract.md §4.3–§4.5, decisions.md
 * §3 items 5–8): the pickup ("ownership") snapshot, runner events applied to it, the terminal
 * snapshot, and `reconcile`, which merges what the worker wants to write with what is stored so
 * that a concurrent cancel is never lost and a newer delivery is never overwritten.
 * The clock is a parameter (epoch seconds).
 */
import type { RunJob } from "./job.ts";
import { cancelRequested, compactSnapshot, isTerminal, type RequeueReason, type RunSnapshot } from "./run.ts";

/** Metadata the original copies from the snapshot found at pickup (non-null values only). */
const COPIED_FROM_EXISTING = [
  "bundle_hash", "workflow_bundle_bytes", "root_run_id", "parent_run_id", "spawned_from_task", "entry_workflow",
  "approval_required", "approval_status", "approval_requested_at", "approved_at", "approved_by", "approval_comment",
  "rejected_at", "rejected_by", "rejection_reason", "child_run_ids", "spawn_count", "result_summary",
  "cancel_requested_at", "cancel_requested_by", "cancel_reason",
  // ours: a run created by POST /dlq/{seq}/requeue keeps where it came from
  "requeued_from", "requeued_from_dlq",
] as const;

/** Fields taken from the job when truthy. */
const COPIED_FROM_JOB = [
  "tenant_id", "api_key_id", "workflow_yaml_sha256", "workflow_yaml_bytes", "schedule_id",
  "root_run_id", "parent_run_id", "spawned_from_task", "entry_workflow",
] as const;

/** Wire key order of a worker-written snapshot (wire-contract.md §4.3). */
const KEY_ORDER = [
  "run_id", "flow_name", "tag", "tags", "tenant_id", "api_key_id",
  "workflow_yaml_sha256", "workflow_yaml_bytes", "schedule_id",
  "bundle_hash", "workflow_bundle_bytes", "root_run_id", "parent_run_id", "spawned_from_task",
  "spawn_depth", "entry_workflow",
  "approval_required", "approval_status", "approval_requested_at", "approved_at", "approved_by",
  "approval_comment", "rejected_at", "rejected_by", "rejection_reason",
  "cancel_requested_at", "cancel_requested_by",
  "status", "params", "tasks", "task_records",
  "child_run_ids", "spawn_count", "result_summary",
  "start_time", "end_time", "heartbeat_at", "updated_at", "error",
];

function ordered(snapshot: Record<string, unknown>): RunSnapshot {
  const out: Record<string, unknown> = {};
  for (const k of KEY_ORDER) if (k in snapshot) out[k] = snapshot[k];
  for (const [k, v] of Object.entries(snapshot)) if (!(k in out)) out[k] = v;
  return out as RunSnapshot;
}

export interface OwnerInfo { workerId: string; attempt: number }

/**
 * The snapshot the worker writes when it takes a run (status RUNNING; CANCELLING when a cancel
 * is already recorded). `existing` is what was stored at pickup, if anything.
 */
export function pickupSnapshot(existing: RunSnapshot | null, job: RunJob, owner: OwnerInfo, params: Record<string, unknown>, now: number): RunSnapshot {
  const snap: Record<string, unknown> = { run_id: job.run_id, flow_name: job.flow_name, tag: job.tag, tags: job.tags?.length ? job.tags : [job.tag] };
  if (existing) for (const k of COPIED_FROM_EXISTING) if (existing[k] != null) snap[k] = existing[k];
  for (const k of COPIED_FROM_JOB) if (job[k]) snap[k] = job[k];
  if (snap.tenant_id === undefined) snap.tenant_id = existing?.tenant_id ?? null;
  if (snap.api_key_id === undefined) snap.api_key_id = existing?.api_key_id ?? null;
  if (typeof job.workflow_bundle_sha256 === "string" && job.workflow_bundle_sha256) snap.bundle_hash = job.workflow_bundle_sha256;
  snap.spawn_depth = job.spawn_depth ?? 0;
  const cancelled = existing !== null && cancelRequested(existing);
  Object.assign(snap, {
    status: cancelled ? "CANCELLING" : "RUNNING", params, tasks: {}, task_records: {},
    child_run_ids: snap.child_run_ids ?? [], spawn_count: snap.spawn_count ?? 0, result_summary: snap.result_summary ?? null,
    start_time: now, end_time: null, heartbeat_at: now, updated_at: now, error: null,
    worker_id: owner.workerId, attempt: owner.attempt,
  });
  return ordered(snap);
}

/** Runner events the snapshot cares about (structurally compatible with the runner's messages). */
export type SnapshotEvent =
  | { type: "run_started"; tasks: string[]; params?: Record<string, unknown> }
  | { type: "task_started"; task: string }
  | { type: "task_finished"; task: string; state: string; error?: { message: string } }
  | { type: "log" | "cancel_ack" };

/** Apply one runner event: task states move; the run status is never touched here. */
export function applyRunEvent(snapshot: RunSnapshot, event: SnapshotEvent): RunSnapshot {
  switch (event.type) {
    case "run_started": {
      const tasks: Record<string, string> = {};
      for (const t of event.tasks) tasks[t] = snapshot.tasks?.[t] ?? "PENDING";
      return { ...snapshot, tasks, ...(event.params ? { params: event.params } : {}) };
    }
    case "task_started":
      return { ...snapshot, tasks: { ...snapshot.tasks, [event.task]: "RUNNING" } };
    case "task_finished": {
      const next = { ...snapshot, tasks: { ...snapshot.tasks, [event.task]: event.state } };
      if (event.state === "FAILED" && event.error) next.error = event.error.message;
      return next;
    }
    default:
      return snapshot;
  }
}

/** What the runner reported at the end (a subset of run_finished). */
export interface FinishedReport {
  tasks?: Record<string, string>;
  task_records?: Record<string, unknown>;
  params?: Record<string, unknown>;
  end_time?: number | null;
}

/** The terminal snapshot: final status, error, tasks and records; `end_time` from the runner (null when the flow never ran). */
export function terminalSnapshot(
  snapshot: RunSnapshot, status: "COMPLETED" | "FAILED" | "CANCELLED", error: string | null,
  report: FinishedReport | null, now: number,
): RunSnapshot {
  const next: RunSnapshot = { ...snapshot, status, error };
  if (report) {
    if (report.tasks) next.tasks = report.tasks;
    if (report.task_records) next.task_records = report.task_records;
    if (report.params) next.params = report.params;
    next.end_time = report.end_time ?? null;
  } else {
    // No report (crash, kill, cancel before start): tasks still pending/running end as the status says.
    const taskEnd = status === "CANCELLED" ? "CANCELLED" : "FAILED";
    const tasks: Record<string, string> = {};
    for (const [t, s] of Object.entries(snapshot.tasks ?? {})) tasks[t] = s === "PENDING" || s === "RUNNING" ? taskEnd : s;
    next.tasks = tasks;
    next.end_time = status === "CANCELLED" || snapshot.start_time != null ? now : null;
  }
  if (status === "CANCELLED") next.error = null;
  return next;
}

/**
 * The snapshot of a run handed back to the queue before it ended (the worker's drain deadline
 * passed): PENDING again, with the reason and time, until a worker takes it (attempt + 1). The
 * interrupted attempt's task states are dropped (the next attempt starts from scratch); `worker_id`
 * and `attempt` stay, so an older delivery still cannot overwrite a newer one.
 */
export function requeuedSnapshot(snapshot: RunSnapshot, reason: RequeueReason, now: number): RunSnapshot {
  return { ...snapshot, status: "PENDING", tasks: {}, task_records: {}, start_time: null, end_time: null, error: null, requeue_reason: reason, requeued_at: now };
}

export type ReconcileResult =
  | { write: true; value: RunSnapshot }
  /** Do not write: the stored run is terminal, or a newer delivery owns it. */
  | { write: false; reason: "terminal" | "superseded" };

/**
 * Merge the worker's `desired` snapshot with what is `stored` (compare-and-set retry input):
 * - a terminal stored run is never overwritten (decisions.md §3.7);
 * - a stored run owned by a newer delivery (higher `attempt`) is left alone (decisions.md §3.6);
 * - a recorded cancel always survives: its fields are kept and a non-terminal status becomes
 *   CANCELLING (never back to RUNNING); a run that still ended COMPLETED/FAILED gets `cancel_too_late`;
 * - fields someone else added are kept; then `heartbeat_at`/`updated_at` are stamped and the result compacted.
 */
export function reconcile(stored: RunSnapshot | null, desired: RunSnapshot, now: number, maxBytes: number): ReconcileResult {
  if (stored) {
    if (isTerminal(stored.status)) return { write: false, reason: "terminal" };
    const storedAttempt = typeof stored.attempt === "number" ? stored.attempt : 0;
    if (stored.worker_id != null && storedAttempt > (desired.attempt ?? 0)) return { write: false, reason: "superseded" };
  }
  const next: RunSnapshot = { ...(stored ?? {}), ...desired } as RunSnapshot;
  const cancel = (stored && cancelRequested(stored)) || cancelRequested(desired);
  if (cancel) {
    next.cancel_requested_at = desired.cancel_requested_at ?? stored?.cancel_requested_at ?? now;
    const by = desired.cancel_requested_by ?? stored?.cancel_requested_by;
    if (by != null) next.cancel_requested_by = by;
    const reason = desired.cancel_reason ?? stored?.cancel_reason;
    if (reason != null) next.cancel_reason = reason;
    if (!isTerminal(next.status)) next.status = "CANCELLING";
    else if (next.status !== "CANCELLED") next.cancel_too_late = true;
  }
  // The requeue marks describe a waiting run only: a pickup (or a cancel) clears them.
  if (next.status !== "PENDING") { delete next.requeue_reason; delete next.requeued_at; }
  next.heartbeat_at = now;
  next.updated_at = now;
  return { write: true, value: compactSnapshot(ordered(next), maxBytes) };
}

/** The cancel fields of a stored snapshot, to carry into the worker's own view. */
export function cancelFields(stored: RunSnapshot): Partial<RunSnapshot> {
  const out: Partial<RunSnapshot> = { cancel_requested_at: stored.cancel_requested_at ?? null };
  if (stored.cancel_requested_by != null) out.cancel_requested_by = stored.cancel_requested_by;
  if (stored.cancel_reason != null) out.cancel_reason = stored.cancel_reason;
  return out;
}
