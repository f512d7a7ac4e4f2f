/**
 * Worker registry record (wire-contract.md §4.6) and the state the gateway derives from it
 * (http-contract.md §3.4). Pure.
 */

export const WORKER_STATES = ["RUNNING", "IDLE", "STOPPED_GRACEFUL", "DISCONNECTED"] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export interface WorkerRecord {
  worker_id: string;
  instance_id: string;
  state: WorkerState | string;
  hidden: boolean;
  tags: string[];
  last_seen_at: number;
  last_heartbeat_at: number;
  heartbeat_at: number;
  current_run_id: string | null;
  last_run_id: string | null;
  last_run_status: string | null;
  last_run_started_at: number | null;
  last_run_finished_at: number | null;
  stopped_at: number | null;
  stop_reason: string | null;
  updated_at: number;
  wheel_sync?: Record<string, unknown>;
  [key: string]: unknown;
}

export function defaultWheelSync(): Record<string, unknown> {
  return {
    enabled: false, last_result: "disabled", last_attempt_at: null, last_success_at: null, last_synced_at: null,
    last_error: null, selected_count: 0, updated_count: 0, removed_count: 0, skipped_incompatible_count: 0,
    selected_wheels: [], updated_wheels: [], removed_wheels: [], skipped_incompatible: [], installed_wheels: [],
  };
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Gateway normalisation of a stored record (legacy records with only `heartbeat_at` accepted). */
export function normalizeWorkerRecord(raw: Record<string, unknown>, key: string): WorkerRecord {
  const state = typeof raw.state === "string" && (WORKER_STATES as readonly string[]).includes(raw.state) ? raw.state : "IDLE";
  const lastSeen = num(raw.last_seen_at) ?? num(raw.heartbeat_at) ?? 0;
  const lastHeartbeat = num(raw.last_heartbeat_at) ?? num(raw.heartbeat_at) ?? lastSeen;
  const tags = Array.isArray(raw.tags) ? raw.tags.filter((t): t is string => typeof t === "string" && t.trim() !== "") : [];
  const workerId = typeof raw.worker_id === "string" && raw.worker_id ? raw.worker_id : key;
  return {
    ...raw,
    worker_id: workerId,
    instance_id: typeof raw.instance_id === "string" && raw.instance_id ? raw.instance_id : workerId,
    state,
    hidden: raw.hidden === true,
    tags,
    last_seen_at: lastSeen,
    last_heartbeat_at: lastHeartbeat,
    heartbeat_at: lastHeartbeat,
    current_run_id: (raw.current_run_id as string | null) ?? null,
    last_run_id: (raw.last_run_id as string | null) ?? null,
    last_run_status: (raw.last_run_status as string | null) ?? null,
    last_run_started_at: num(raw.last_run_started_at),
    last_run_finished_at: num(raw.last_run_finished_at),
    stopped_at: num(raw.stopped_at),
    stop_reason: (raw.stop_reason as string | null) ?? null,
    updated_at: num(raw.updated_at) ?? 0,
  };
}

/** Derived display state: stored STOPPED_GRACEFUL/DISCONNECTED kept; silent for longer than the timeout → DISCONNECTED. */
export function deriveWorkerState(record: Pick<WorkerRecord, "state" | "last_seen_at">, now: number, disconnectTimeoutSec: number): WorkerState {
  if (record.state === "STOPPED_GRACEFUL" || record.state === "DISCONNECTED") return record.state;
  if (disconnectTimeoutSec > 0 && now - record.last_seen_at > disconnectTimeoutSec) return "DISCONNECTED";
  return record.state === "RUNNING" ? "RUNNING" : "IDLE";
}

export function isAlive(state: WorkerState): boolean {
  return state === "RUNNING" || state === "IDLE";
}
