/**
 * Response shapes of the round-2 endpoints (DLQ, task logs, wheels, schedules, wheel sync), shared
 * by the gateway routes, `pyoco client` and the dashboard. Wheels and schedules follow the
 * original's contract (http-contract.md §1.6, §1.14; wire-contract.md §7.7); DLQ and logs are
 * ours. Fields may be added (clients ignore unknown ones); none may be renamed or removed.
 * Timestamps are Unix epoch seconds as floats unless the original says otherwise.
 */

// ── DLQ (stream PYOCO_DLQ, subjects pyoco.dlq.<tag>) ────────────────────────────────────────

export type DlqReason = "invalid_job" | "flow_not_found" | "invalid_workflow" | "execution_error" | "max_deliver_exceeded";

/** One DLQ record as stored ({reason, error, timestamp, ...payload}) plus where it sits. */
export interface DlqEntry {
  /** Stream sequence: the entry's id in /dlq/{seq}. */
  seq: number;
  subject: string;
  /** When the stream stored it. */
  received_at: number;
  /** Stable hash of reason + flow_name + normalised error: the group key. */
  fingerprint: string;
  reason: DlqReason | string;
  error: string | null;
  timestamp: number | null;
  run_id: string | null;
  flow_name: string | null;
  tag: string | null;
  tags?: string[];
  tenant_id?: string | null;
  api_key_id?: string | null;
  worker_id?: string | null;
  /** Set once the entry was requeued: the run it became. */
  requeued_run_id?: string | null;
  [extra: string]: unknown;
}

/** GET /dlq: newest first. */
export interface DlqPage { items: DlqEntry[]; next_cursor: string | null }

export interface DlqGroup {
  fingerprint: string;
  reason: string;
  flow_name: string | null;
  /** The error with numbers, ids and paths folded, as grouped. */
  error_pattern: string;
  count: number;
  first_seen: number;
  last_seen: number;
  tags: string[];
  sample: DlqEntry;
}

/** GET /dlq/groups: most recent last_seen first. */
export interface DlqGroupList { items: DlqGroup[] }

/** POST /dlq/{seq}/requeue. `created` is false when the same entry was requeued before. */
export interface DlqRequeueResult {
  seq: number; run_id: string; status: string; created: boolean;
  /** Group requeue only: why an entry was skipped (status "SKIPPED", run_id ""). */
  detail?: string;
}

/** POST /dlq/groups/{fingerprint}/requeue. */
export interface DlqGroupRequeueResult { fingerprint: string; count: number; requeued: DlqRequeueResult[] }

/** DELETE /dlq/{seq} → {seq, deleted: true}; DELETE /dlq/groups/{fp} → {fingerprint, deleted: n}. */
export interface DlqDeleteResult { seq?: number; fingerprint?: string; deleted: boolean | number }

// ── Task logs (stream PYOCO_LOGS, subjects pyoco.logs.<run_id>) ─────────────────────────────

export type LogStream = "stdout" | "stderr" | "log" | "system";

export interface LogLine {
  /** Stream sequence: SSE event id and the `since_seq` cursor. */
  seq: number;
  run_id: string;
  /** Task that wrote it; null for run-level lines. */
  task: string | null;
  stream: LogStream;
  /** Python logging level name for stream "log" (INFO, WARNING, …), else null. */
  level: string | null;
  logger?: string | null;
  message: string;
  ts: number;
  worker_id?: string | null;
  attempt?: number | null;
  /** On a "system" line that reports dropped lines: how many were dropped. */
  dropped?: number;
}

/**
 * GET /runs/{id}/logs?since_seq=&limit= → oldest first. `next_seq` is the since_seq to ask next
 * (null when nothing followed). SSE /runs/{id}/logs/watch sends event "log" (data LogLine,
 * id = seq) and a final event "end" once the run is terminal and its lines are sent.
 */
export interface LogPage { run_id: string; items: LogLine[]; next_seq: number | null; dropped: number }

// ── Wheels (http-contract.md §1.6) ──────────────────────────────────────────────────────────

export interface WheelInfo {
  name: string;
  size_bytes: number;
  digest: string;
  sha256_b64: string | null;
  mtime: string;
  nuid: string;
  tags: string[];
  /** Upload response only. */
  sha256_hex?: string;
}

export interface WheelHistoryEvent {
  event_id: string;
  occurred_at: number;
  action: "upload" | "delete";
  wheel_name: string;
  tags: string[];
  size_bytes: number | null;
  sha256_hex: string | null;
  replace: boolean | null;
  actor: { tenant_id: string | null; api_key_id: string | null };
  source: {
    remote_addr: string | null; x_forwarded_for: string | null; x_real_ip: string | null;
    user_agent: string | null; host: string | null; scheme: string | null;
  };
}

/** `wheel_sync` in the worker registry record and GET /workers (wire-contract.md §7.7). */
export interface WheelSyncState {
  enabled: boolean;
  /** Ours: selected wheels left out of the active generation (unmet requirements, pip failure), with pip's reason. */
  failed_wheels?: { wheel_name: string; package_name: string; package_version: string; nuid: string; reason: string }[];
  /** Ours: number of the active install generation (`<dir>/envs/gen-<n>`). */
  generation?: number;
  [field: string]: unknown;
}

// ── Schedules (http-contract.md §1.14, plus cron, pause and a preview) ──────────────────────

export interface YamlSchedule {
  schedule_id: string;
  flow_name: string;
  tag: string | null;
  /** PAUSED is ours. */
  status: "ACTIVE" | "PAUSED" | "COMPLETED";
  /** "cron" is ours. */
  schedule_type: "once" | "interval" | "cron";
  workflow_yaml_sha256: string;
  workflow_yaml_bytes: number;
  tenant_id: string | null;
  api_key_id: string | null;
  created_at: number;
  updated_at: number;
  run_at: number | null;
  next_run_at: number | null;
  interval_seconds: number | null;
  start_at: number | null;
  last_submitted_at: number | null;
  last_run_id: string | null;
  dispatch_count: number;
  last_error: string | null;
  /** Ours: 5-field cron expression and its IANA time zone (schedule_type "cron"). */
  cron?: string | null;
  timezone?: string | null;
  /** Ours: the next five fire times (epoch seconds), empty when none. */
  next_fire_times?: number[];
  /** Ours: status of last_run_id when known. */
  last_run_status?: string | null;
  /** Ours: what happens to a fire later than PYOCO_SCHEDULE_MISFIRE_GRACE_SEC (docs/schedules.md). */
  misfire_policy?: "run_once" | "skip";
  /** Ours: the gateway that made the last fire ("gateway-<pid>-<id>"). */
  last_dispatched_by?: string | null;
}
