/**
 * YAML schedules (http-contract.md §1.14): the stored record, its HTTP view, and every time
 * decision the scheduler makes — when a schedule is due, how it is claimed (lease), where it
 * goes after a fire, pause/resume — as pure functions of the record and `now` (epoch seconds).
 *
 * The record is the original's (bucket `pyoco_yaml_schedules`, same keys and key order, an
 * internal `lease_until`), so a Python pyoco-server gateway serves schedules created here and
 * the other way round. Our additions are invisible to it or harmless:
 * - `schedule_type: "cron"` with `cron`, `timezone` and `cron_next_run_at`. The original would
 *   read an unknown type as "once", so a cron schedule keeps `next_run_at: null` in KV (a Python
 *   gateway never finds it due) and its next fire lives in `cron_next_run_at`; the HTTP view
 *   shows it as `next_run_at`.
 * - `status: "PAUSED"` also stores `next_run_at: null`, for the same reason.
 * - `misfire_policy`, `lease_owner`, `last_dispatched_by`.
 *
 * Late fires (every gateway was down, or the lease holder died): a slot late by at most the
 * misfire grace (PYOCO_SCHEDULE_MISFIRE_GRACE_SEC) is fired as usual, each slot once, in order.
 * A slot later than that is missed: with policy `run_once` (default) everything missed is caught
 * up by ONE run, then the schedule continues at its next future slot; with `skip` the missed
 * slot is dropped without a run.
 */
import { nextCronFire, nextCronFires, parseCron, type CronSpec } from "./cron.ts";

export const SCHEDULE_TYPES = ["once", "interval", "cron"] as const;
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];
export const SCHEDULE_STATUSES = ["ACTIVE", "PAUSED", "COMPLETED"] as const;
export type ScheduleStatus = (typeof SCHEDULE_STATUSES)[number];
export const MISFIRE_POLICIES = ["run_once", "skip"] as const;
export type MisfirePolicy = (typeof MISFIRE_POLICIES)[number];

/** How many upcoming fire times the HTTP view previews. */
export const PREVIEW_COUNT = 5;

/** The stored record (key order of the original first, ours after). */
export interface ScheduleRecord {
  schedule_id: string;
  flow_name: string;
  tag: string;
  status: ScheduleStatus | string;
  schedule_type: ScheduleType | string;
  workflow_yaml: string;
  workflow_yaml_sha256: string;
  workflow_yaml_bytes: number;
  params: Record<string, unknown>;
  tenant_id: string | null;
  api_key_id: string | null;
  created_at: number;
  updated_at: number;
  last_submitted_at: number | null;
  last_run_id: string | null;
  dispatch_count: number;
  last_error: string | null;
  lease_until: number | null;
  run_at: number | null;
  next_run_at: number | null;
  interval_seconds: number | null;
  start_at: number | null;
  cron?: string | null;
  timezone?: string | null;
  cron_next_run_at?: number | null;
  misfire_policy?: MisfirePolicy | string;
  lease_owner?: string | null;
  last_dispatched_by?: string | null;
  [extra: string]: unknown;
}

/** Keys of the original's YamlScheduleResponse, in order (http-contract.md §1.14). */
const HTTP_KEYS = [
  "schedule_id", "flow_name", "tag", "status", "schedule_type", "workflow_yaml_sha256", "workflow_yaml_bytes",
  "tenant_id", "api_key_id", "created_at", "updated_at", "run_at", "next_run_at", "interval_seconds", "start_at",
  "last_submitted_at", "last_run_id", "dispatch_count", "last_error",
] as const;

// ── input parsing ───────────────────────────────────────────────────────────────────────────

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * An ISO 8601 datetime with an offset → epoch seconds (the original: a trailing `Z` becomes
 * `+00:00`, then `datetime.fromisoformat`; no offset is an error).
 */
export function parseScheduleDatetime(raw: string, field: string): Parsed<number> {
  const text = raw.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/i.exec(text);
  if (!m) return { ok: false, reason: `${field} must be ISO 8601 datetime` };
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", tz] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wall);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) {
    return { ok: false, reason: `${field} must be ISO 8601 datetime` };
  }
  if (!tz) return { ok: false, reason: `${field} must include timezone offset` };
  let offsetSec = 0;
  if (tz.toUpperCase() !== "Z") {
    const digits = tz.slice(1).replace(/:/g, "");
    const oh = Number(digits.slice(0, 2)), om = Number(digits.slice(2, 4) || "0"), os = Number(digits.slice(4, 6) || "0");
    if (oh > 23 || om > 59 || os > 59) return { ok: false, reason: `${field} must be ISO 8601 datetime` };
    offsetSec = (tz[0] === "-" ? -1 : 1) * (oh * 3600 + om * 60 + os);
  }
  return { ok: true, value: wall / 1000 - offsetSec + (frac ? Number(`0.${frac}`) : 0) };
}

// ── building ────────────────────────────────────────────────────────────────────────────────

export interface ScheduleTiming {
  type: ScheduleType;
  runAt?: number;
  intervalSeconds?: number;
  startAt?: number;
  cron?: CronSpec;
  timezone?: string;
}

export interface NewSchedule {
  scheduleId: string;
  flowName: string;
  tag: string;
  workflowYaml: string;
  sha256: string;
  bytes: number;
  params: Record<string, unknown>;
  tenantId: string | null;
  apiKeyId: string | null;
  createdAt: number;
  timing: ScheduleTiming;
  misfirePolicy: MisfirePolicy;
}

/** First slot of the grid `anchor + k·interval` strictly after `now` (or the anchor itself when it is later). */
export function nextIntervalSlot(anchor: number, interval: number, now: number): number {
  if (anchor > now) return anchor;
  return anchor + (Math.floor((now - anchor) / interval) + 1) * interval;
}

/** A new record (status ACTIVE), in the original's key order. */
export function buildScheduleRecord(n: NewSchedule): ScheduleRecord {
  const t = n.timing;
  const record: ScheduleRecord = {
    schedule_id: n.scheduleId, flow_name: n.flowName, tag: n.tag, status: "ACTIVE", schedule_type: t.type,
    workflow_yaml: n.workflowYaml, workflow_yaml_sha256: n.sha256, workflow_yaml_bytes: n.bytes, params: n.params,
    tenant_id: n.tenantId, api_key_id: n.apiKeyId, created_at: n.createdAt, updated_at: n.createdAt,
    last_submitted_at: null, last_run_id: null, dispatch_count: 0, last_error: null, lease_until: null,
    run_at: null, next_run_at: null, interval_seconds: null, start_at: null,
  };
  if (t.type === "once") {
    record.run_at = t.runAt!;
    record.next_run_at = t.runAt!;
  } else if (t.type === "interval") {
    const anchor = t.startAt ?? n.createdAt + t.intervalSeconds!;
    record.interval_seconds = t.intervalSeconds!;
    record.start_at = anchor;
    // The original computes from created_at − 1 µs, so a start_at equal to created_at still counts.
    record.next_run_at = nextIntervalSlot(anchor, t.intervalSeconds!, n.createdAt - 0.000001);
  } else {
    record.cron = t.cron!.source;
    record.timezone = t.timezone!;
    record.cron_next_run_at = nextCronFire(t.cron!, t.timezone!, n.createdAt);
  }
  record.misfire_policy = n.misfirePolicy;
  return record;
}

// ── reading a record (it may have been written by the original, or be damaged) ──────────────

function num(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return null;
}

export function scheduleType(r: Partial<ScheduleRecord>): ScheduleType {
  const t = String(r.schedule_type ?? "once").trim().toLowerCase();
  return (SCHEDULE_TYPES as readonly string[]).includes(t) ? (t as ScheduleType) : "once";
}

export function scheduleStatus(r: Partial<ScheduleRecord>): ScheduleStatus {
  const s = String(r.status ?? "ACTIVE").trim().toUpperCase();
  return (SCHEDULE_STATUSES as readonly string[]).includes(s) ? (s as ScheduleStatus) : "ACTIVE";
}

function misfirePolicy(r: Partial<ScheduleRecord>): MisfirePolicy {
  return r.misfire_policy === "skip" ? "skip" : "run_once";
}

function cronOf(r: Partial<ScheduleRecord>): CronSpec | null {
  if (typeof r.cron !== "string") return null;
  const parsed = parseCron(r.cron);
  return parsed.ok ? parsed.spec : null;
}

function zoneOf(r: Partial<ScheduleRecord>): string {
  return typeof r.timezone === "string" && r.timezone ? r.timezone : "UTC";
}

/** When the schedule fires next (null: paused, completed, or never again). */
export function nextFireAt(r: Partial<ScheduleRecord>): number | null {
  if (scheduleStatus(r) !== "ACTIVE") return null;
  return scheduleType(r) === "cron" ? num(r.cron_next_run_at) : num(r.next_run_at);
}

/** An unexpired lease: another gateway is firing it right now. */
export function leaseActive(r: Partial<ScheduleRecord>, now: number): boolean {
  const until = num(r.lease_until);
  return until !== null && until > now;
}

/** Due: ACTIVE, its fire time has come, and nobody holds the lease (the original's rule). */
export function isDue(r: Partial<ScheduleRecord>, now: number): boolean {
  const at = nextFireAt(r);
  return at !== null && at <= now && !leaseActive(r, now);
}

/** Lease length: max(3, 3 × poll interval) seconds, as the original. */
export function leaseSeconds(pollIntervalSec: number): number {
  return Math.max(3, 3 * pollIntervalSec);
}

/** The record that claims a due fire for `owner` (written compare-and-set on the revision read). */
export function claimRecord(r: ScheduleRecord, now: number, pollIntervalSec: number, owner: string): ScheduleRecord {
  return { ...r, lease_until: now + leaseSeconds(pollIntervalSec), lease_owner: owner };
}

// ── after a fire ────────────────────────────────────────────────────────────────────────────

/** What firing slot `slot` at `now` does: submit a run (`fire`) or drop a missed slot (`skip`). */
export function fireDecision(r: Partial<ScheduleRecord>, slot: number, now: number, graceSec: number): "fire" | "skip" {
  return misfirePolicy(r) === "skip" && now - slot > graceSec ? "skip" : "fire";
}

/**
 * The fire after `slot`: a slot late by at most the grace is followed by the next slot of its
 * own series (so a short delay, e.g. a dead lease holder, loses no slot); after a missed slot the
 * schedule continues at its first slot after `now` (the missed ones are not replayed one by one).
 */
function nextAfter(r: Partial<ScheduleRecord>, slot: number, now: number, graceSec: number): number | null {
  const from = now - slot > graceSec ? now : slot;
  if (scheduleType(r) === "cron") {
    const spec = cronOf(r);
    return spec ? nextCronFire(spec, zoneOf(r), from) : null;
  }
  const interval = num(r.interval_seconds);
  if (interval === null || interval <= 0) return null;
  return nextIntervalSlot(num(r.start_at) ?? slot, interval, from);
}

/** Where the schedule's fire time moves once `slot` has been handled. */
function advance(r: ScheduleRecord, slot: number, now: number, graceSec: number): ScheduleRecord {
  const out = { ...r };
  const type = scheduleType(r);
  if (type === "once") {
    out.status = "COMPLETED";
    out.next_run_at = null;
  } else if (type === "cron") {
    out.cron_next_run_at = nextAfter(r, slot, now, graceSec);
    if (out.cron_next_run_at === null) out.status = "COMPLETED";
  } else {
    out.next_run_at = nextAfter(r, slot, now, graceSec);
  }
  return out;
}

/**
 * The record after the fire of `slot` became run `runId` (submitted by `owner` at `now`).
 * Idempotent: applied to a record that already counts this run, it changes nothing but the lease.
 * If the record moved on meanwhile (paused, resumed, fired elsewhere) its fire time is kept,
 * except that a one-shot always ends COMPLETED once its run exists.
 */
export function afterDispatch(r: ScheduleRecord, p: { slot: number; runId: string; now: number; owner: string; graceSec: number }): ScheduleRecord {
  let out: ScheduleRecord = { ...r, lease_until: null, lease_owner: null };
  if (r.last_run_id !== p.runId) {
    out = {
      ...out, updated_at: p.now, last_submitted_at: p.now, last_run_id: p.runId,
      dispatch_count: (num(r.dispatch_count) ?? 0) + 1, last_error: null, last_dispatched_by: p.owner,
    };
  }
  // A one-shot that made its run is done, even if it was paused while the fire was in flight.
  if (nextFireAt(r) === p.slot || scheduleType(r) === "once") return advance(out, p.slot, p.now, p.graceSec);
  return out;
}

/** The record after a missed slot was dropped (policy `skip`). */
export function afterSkip(r: ScheduleRecord, p: { slot: number; now: number; graceSec: number }): ScheduleRecord {
  const out: ScheduleRecord = { ...r, lease_until: null, lease_owner: null, updated_at: p.now };
  return nextFireAt(r) === p.slot ? advance(out, p.slot, p.now, p.graceSec) : out;
}

/** The record after a failed submit: the error is recorded, the fire time kept (retried next tick). */
export function afterFailure(r: ScheduleRecord, p: { error: string; now: number }): ScheduleRecord {
  return { ...r, lease_until: null, lease_owner: null, updated_at: p.now, last_error: p.error };
}

// ── pause / resume ──────────────────────────────────────────────────────────────────────────

export type Transition = { ok: true; record: ScheduleRecord; changed: boolean } | { ok: false; reason: string };

export function pauseRecord(r: ScheduleRecord, now: number): Transition {
  const status = scheduleStatus(r);
  if (status === "COMPLETED") return { ok: false, reason: "schedule is completed" };
  if (status === "PAUSED") return { ok: true, record: r, changed: false };
  return { ok: true, changed: true, record: { ...r, status: "PAUSED", next_run_at: null, cron_next_run_at: r.cron_next_run_at === undefined ? undefined : null, updated_at: now } };
}

/**
 * Resume: slots that passed while paused are not caught up, except a one-shot whose time passed
 * (it fires once, now).
 */
export function resumeRecord(r: ScheduleRecord, now: number): Transition {
  const status = scheduleStatus(r);
  if (status === "COMPLETED") return { ok: false, reason: "schedule is completed" };
  if (status === "ACTIVE") return { ok: true, record: r, changed: false };
  const out: ScheduleRecord = { ...r, status: "ACTIVE", updated_at: now, lease_until: null, lease_owner: null };
  const type = scheduleType(r);
  if (type === "once") out.next_run_at = num(r.run_at) ?? now;
  else if (type === "interval") {
    const interval = num(r.interval_seconds);
    out.next_run_at = interval && interval > 0 ? nextIntervalSlot(num(r.start_at) ?? now, interval, now) : null;
  } else {
    const spec = cronOf(r);
    out.cron_next_run_at = spec ? nextCronFire(spec, zoneOf(r), now) : null;
  }
  if (type !== "cron") delete out.cron_next_run_at;
  if (out.cron_next_run_at === undefined) delete out.cron_next_run_at;
  return { ok: true, changed: true, record: out };
}

// ── HTTP view ───────────────────────────────────────────────────────────────────────────────

/** The next `PREVIEW_COUNT` fire times from the record's next fire (empty unless ACTIVE). */
export function nextFireTimes(r: Partial<ScheduleRecord>): number[] {
  const first = nextFireAt(r);
  if (first === null) return [];
  const type = scheduleType(r);
  if (type === "once") return [first];
  if (type === "cron") {
    const spec = cronOf(r);
    return spec ? [first, ...nextCronFires(spec, zoneOf(r), first, PREVIEW_COUNT - 1)] : [first];
  }
  const interval = num(r.interval_seconds);
  if (interval === null || interval <= 0) return [first];
  return Array.from({ length: PREVIEW_COUNT }, (_, k) => first + k * interval);
}

/**
 * The response shape (YamlSchedule in src/client/types.ts): the original's keys in order, then
 * ours. `next_run_at` of a cron schedule is its cron fire time. The YAML text and the lease stay internal.
 */
export function scheduleView(r: ScheduleRecord, lastRunStatus: string | null = null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of HTTP_KEYS) out[k] = r[k] ?? (k === "dispatch_count" ? 0 : null);
  out.status = scheduleStatus(r);
  out.schedule_type = scheduleType(r);
  if (scheduleType(r) === "cron") out.next_run_at = nextFireAt(r);
  out.cron = typeof r.cron === "string" ? r.cron : null;
  out.timezone = typeof r.timezone === "string" ? r.timezone : null;
  out.misfire_policy = misfirePolicy(r);
  out.next_fire_times = nextFireTimes(r);
  out.last_run_status = lastRunStatus;
  out.last_dispatched_by = typeof r.last_dispatched_by === "string" ? r.last_dispatched_by : null;
  return out;
}

/** GET /schedules order: ACTIVE first (then PAUSED, COMPLETED), then next_run_at (or created_at) ascending, then id. */
export function compareSchedules(a: ScheduleRecord, b: ScheduleRecord): number {
  const rank = (r: ScheduleRecord) => SCHEDULE_STATUSES.indexOf(scheduleStatus(r));
  const when = (r: ScheduleRecord) => nextFireAt(r) ?? num(r.next_run_at) ?? num(r.created_at) ?? 0;
  return rank(a) - rank(b) || when(a) - when(b) || (a.schedule_id < b.schedule_id ? -1 : a.schedule_id > b.schedule_id ? 1 : 0);
}

// ── the run of a fire ───────────────────────────────────────────────────────────────────────

/**
 * The run id of the fire of `slot`: a uuid4-shaped id derived from the schedule and the slot,
 * so every gateway that fires the same slot creates the same run key and the KV create lets
 * exactly one of them through (a gateway that died after submitting cannot cause a double run).
 */
export async function fireRunId(scheduleId: string, slot: number): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`pyoco-schedule-fire|${scheduleId}|${slot}`)));
  const b = digest.slice(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x40;   // version 4
  b[8] = (b[8]! & 0x3f) | 0x80;   // RFC 4122 variant
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
