/**
 * Run model (wire-contract.md §4): statuses, legal transitions, snapshot shape, compaction.
 * Pure: no I/O, the clock is a parameter.
 */
import { wireSize } from "./json.ts";

export const RUN_STATUSES = ["PENDING", "PENDING_APPROVAL", "RUNNING", "CANCELLING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RunStatus[] = ["COMPLETED", "FAILED", "CANCELLED"];
export const TASK_STATES = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"] as const;
export type TaskState = (typeof TASK_STATES)[number];

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === "string" && (RUN_STATUSES as readonly string[]).includes(value);
}
export function isTerminal(status: unknown): boolean {
  return typeof status === "string" && (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/**
 * Legal status transitions of wire-contract.md §4.2, with this project's fixes:
 * a terminal run never moves again (decisions.md §3.7), CANCELLING never flickers back to RUNNING,
 * and CANCELLING may still end COMPLETED/FAILED when the run finished before the cancel took effect.
 */
const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  PENDING: ["RUNNING", "CANCELLING", "FAILED", "CANCELLED"],
  PENDING_APPROVAL: ["PENDING", "CANCELLED"],
  // RUNNING → PENDING: a worker shutting down handed the job back to the queue (requeue_reason).
  RUNNING: ["PENDING", "CANCELLING", "COMPLETED", "FAILED", "CANCELLED"],
  CANCELLING: ["CANCELLED", "COMPLETED", "FAILED"],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

/** True when `from → to` is allowed. Staying in the same non-terminal status is allowed (progress writes). */
export function canTransition(from: RunStatus, to: RunStatus): boolean {
  if (from === to) return !isTerminal(from);
  return TRANSITIONS[from].includes(to);
}

export interface TaskRecord {
  state: TaskState | string;
  started_at: number | null;
  ended_at: number | null;
  duration_ms: number | null;
  error: string | null;
  traceback: string | null;
  inputs: Record<string, unknown>;
  output: unknown;
  artifacts: Record<string, unknown>;
}

/** Why a held run went back to the queue: its worker stopped before the run ended (drain timeout). */
export type RequeueReason = "worker_shutdown";

/** The run snapshot stored in `pyoco_runs[run_id]`. Unknown keys pass through untouched. */
export interface RunSnapshot {
  run_id: string;
  flow_name: string;
  tag?: string | null;
  tags?: string[];
  tenant_id?: string | null;
  api_key_id?: string | null;
  status: RunStatus | string;
  params?: Record<string, unknown>;
  tasks?: Record<string, string>;
  task_records?: Record<string, TaskRecord | unknown>;
  task_records_truncated?: boolean;
  start_time?: number | null;
  end_time?: number | null;
  heartbeat_at?: number | null;
  updated_at?: number | null;
  error?: string | null;
  worker_id?: string | null;
  attempt?: number;
  cancel_requested_at?: number | null;
  cancel_requested_by?: string | null;
  cancel_reason?: string | null;
  cancel_too_late?: boolean;
  workflow_yaml_sha256?: string | null;
  workflow_yaml_bytes?: number | null;
  schedule_id?: string | null;
  /** Additive: set while a run handed back to the queue waits for a worker again (status PENDING). */
  requeue_reason?: RequeueReason;
  requeued_at?: number;
  [key: string]: unknown;
}

/** The initial PENDING snapshot the gateway writes on submit (http-contract.md §1.7, key order kept). */
export function initialSnapshot(input: {
  runId: string; flowName: string; tag: string; tags: string[]; params: Record<string, unknown>;
  tenantId?: string | null; apiKeyId?: string | null; now: number;
  yaml?: { sha256: string; bytes: number; scheduleId?: string | null };
}): RunSnapshot {
  const snap: RunSnapshot = {
    run_id: input.runId, flow_name: input.flowName, tag: input.tag, tags: input.tags,
    tenant_id: input.tenantId ?? null, api_key_id: input.apiKeyId ?? null,
  } as RunSnapshot;
  if (input.yaml) {
    snap.workflow_yaml_sha256 = input.yaml.sha256;
    snap.workflow_yaml_bytes = input.yaml.bytes;
    snap.schedule_id = input.yaml.scheduleId ?? null;
  }
  Object.assign(snap, {
    status: "PENDING", params: input.params, tasks: {}, task_records: {},
    start_time: null, end_time: null, heartbeat_at: input.now, updated_at: input.now, error: null,
  });
  return snap;
}

/**
 * Snapshot size guard (wire-contract.md §4.5): when the wire encoding exceeds `maxBytes`, drop
 * `task_records` and flag `task_records_truncated`; when it fits, remove the flag. `maxBytes <= 0` disables it.
 */
export function compactSnapshot(snapshot: RunSnapshot, maxBytes: number): RunSnapshot {
  const { task_records_truncated: _flag, ...rest } = snapshot;
  const candidate = rest as RunSnapshot;
  if (maxBytes <= 0 || wireSize(candidate) <= maxBytes) return candidate;
  return { ...candidate, task_records: {}, task_records_truncated: true };
}

/** A cancel exists when it was requested or the status says so (wire-contract.md §6.1). */
export function cancelRequested(snapshot: Pick<RunSnapshot, "status" | "cancel_requested_at">): boolean {
  return snapshot.cancel_requested_at != null || snapshot.status === "CANCELLING" || snapshot.status === "CANCELLED";
}

/**
 * Summary kept in the gateway's in-memory index and returned by list endpoints: the list view of
 * http-contract.md §1.11 plus, additively, `requeue_reason` (only on a requeued run waiting for a
 * worker) and `start_time`/`end_time`, so a runs table can show start and duration without a
 * request per run.
 */
export const SUMMARY_KEYS = [
  "run_id", "schedule_id", "flow_name", "tag", "tags", "tenant_id", "api_key_id", "status",
  "updated_at", "heartbeat_at", "worker_id", "error",
  // additive, present only on a requeued run waiting for a worker
  "requeue_reason",
  // additive: start and duration in the dashboard's runs table
  "start_time", "end_time",
] as const;

export function summarize(snapshot: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SUMMARY_KEYS) if (key in snapshot) out[key] = snapshot[key];
  return out;
}
