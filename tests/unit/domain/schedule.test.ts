/** Schedule records (pure): datetime input, building, due/lease, where a fire moves the schedule, pause/resume, the view. */
import { describe, expect, test } from "bun:test";
import { parseCron } from "../../../src/domain/cron.ts";
import {
  afterDispatch, afterFailure, afterSkip, buildScheduleRecord, claimRecord, compareSchedules, fireDecision, fireRunId, isDue,
  nextFireAt, nextFireTimes, nextIntervalSlot, parseScheduleDatetime, pauseRecord, resumeRecord, scheduleView,
  type NewSchedule, type ScheduleRecord, type ScheduleTiming,
} from "../../../src/domain/schedule.ts";

const T0 = 1_800_000_000;   // a whole minute (2027-01-15T08:00:00Z)
const GRACE = 10;

function record(timing: ScheduleTiming, extra: Partial<NewSchedule> = {}): ScheduleRecord {
  return buildScheduleRecord({
    scheduleId: "s-1", flowName: "main", tag: "cpu", workflowYaml: "version: 1\n", sha256: "ab", bytes: 11, params: { x: 1 },
    tenantId: null, apiKeyId: null, createdAt: T0, timing, misfirePolicy: "run_once", ...extra,
  });
}

function cron(expr: string) {
  const p = parseCron(expr);
  if (!p.ok) throw new Error(p.reason);
  return p.spec;
}

describe("parseScheduleDatetime", () => {
  test.each([
    ["2026-04-01T10:00:00Z", 1775037600],
    ["2026-04-01T10:00:00+00:00", 1775037600],
    ["2026-04-01T19:00:00+09:00", 1775037600],
    ["2026-04-01 05:30:00-04:30", 1775037600],
    ["2026-04-01T10:00:00.250Z", 1775037600.25],
    ["2026-04-01T10:00Z", 1775037600],
  ])("%s", (input, expected) => {
    expect(parseScheduleDatetime(input, "run_at")).toEqual({ ok: true, value: expected });
  });

  test.each([
    ["2026-04-01T10:00:00", "run_at must include timezone offset"],
    ["2026-04-01", "run_at must include timezone offset"],
    ["tomorrow", "run_at must be ISO 8601 datetime"],
    ["2026-02-30T10:00:00Z", "run_at must be ISO 8601 datetime"],
    ["2026-04-01T25:00:00Z", "run_at must be ISO 8601 datetime"],
  ])("%s is refused", (input, reason) => {
    expect(parseScheduleDatetime(input, "run_at")).toEqual({ ok: false, reason });
  });
});

describe("building a record", () => {
  test("keeps the original's keys and order; once: run_at = next_run_at", () => {
    const r = record({ type: "once", runAt: T0 + 60 });
    expect(Object.keys(r).slice(0, 22)).toEqual([
      "schedule_id", "flow_name", "tag", "status", "schedule_type", "workflow_yaml", "workflow_yaml_sha256", "workflow_yaml_bytes",
      "params", "tenant_id", "api_key_id", "created_at", "updated_at", "last_submitted_at", "last_run_id", "dispatch_count",
      "last_error", "lease_until", "run_at", "next_run_at", "interval_seconds", "start_at",
    ]);
    expect(r).toMatchObject({ status: "ACTIVE", schedule_type: "once", run_at: T0 + 60, next_run_at: T0 + 60, interval_seconds: null, start_at: null });
  });

  test("interval: the anchor defaults to created_at + interval; a past start_at continues on its grid", () => {
    expect(record({ type: "interval", intervalSeconds: 30 })).toMatchObject({ start_at: T0 + 30, next_run_at: T0 + 30 });
    expect(record({ type: "interval", intervalSeconds: 30, startAt: T0 - 100 })).toMatchObject({ start_at: T0 - 100, next_run_at: T0 + 20 });
    expect(record({ type: "interval", intervalSeconds: 30, startAt: T0 })).toMatchObject({ next_run_at: T0 });
  });

  test("cron: next_run_at stays null in KV (a Python gateway never fires it); the view shows the cron fire", () => {
    const r = record({ type: "cron", cron: cron("*/5 * * * *"), timezone: "Europe/Berlin" });
    expect(r.next_run_at).toBeNull();
    expect(r.cron_next_run_at).toBe(T0 + 300);
    const v = scheduleView(r);
    expect(v).toMatchObject({ schedule_type: "cron", next_run_at: T0 + 300, cron: "*/5 * * * *", timezone: "Europe/Berlin" });
    expect(v.next_fire_times).toEqual([300, 600, 900, 1200, 1500].map((d) => T0 + d));
    expect(v).not.toHaveProperty("workflow_yaml");
    expect(v).not.toHaveProperty("lease_until");
  });

  test("nextIntervalSlot is strictly after now", () => {
    expect(nextIntervalSlot(100, 10, 50)).toBe(100);
    expect(nextIntervalSlot(100, 10, 100)).toBe(110);
    expect(nextIntervalSlot(100, 10, 125)).toBe(130);
  });
});

describe("due and lease", () => {
  test("due when ACTIVE, its time has come and no lease is live", () => {
    const r = record({ type: "once", runAt: T0 + 60 });
    expect(isDue(r, T0 + 59)).toBe(false);
    expect(isDue(r, T0 + 60)).toBe(true);
    const claimed = claimRecord(r, T0 + 60, 1, "gw-a");
    expect(claimed).toMatchObject({ lease_until: T0 + 63, lease_owner: "gw-a" });
    expect(isDue(claimed, T0 + 62)).toBe(false);
    expect(isDue(claimed, T0 + 63.5)).toBe(true);   // the holder died: the lease expired
    expect(claimRecord(r, T0, 5, "gw-a").lease_until).toBe(T0 + 15);
  });

  test("paused and completed schedules are never due", () => {
    const r = record({ type: "interval", intervalSeconds: 1 });
    const paused = (pauseRecord(r, T0) as { record: ScheduleRecord }).record;
    expect(isDue(paused, T0 + 100)).toBe(false);
    expect(paused.next_run_at).toBeNull();   // the original, which reads PAUSED as ACTIVE, does not fire it either
  });
});

describe("after a fire", () => {
  test("once: COMPLETED, counted, lease cleared", () => {
    const r = claimRecord(record({ type: "once", runAt: T0 + 60 }), T0 + 60, 1, "gw-a");
    const after = afterDispatch(r, { slot: T0 + 60, runId: "run-1", now: T0 + 60.1, owner: "gw-a", graceSec: GRACE });
    expect(after).toMatchObject({
      status: "COMPLETED", next_run_at: null, dispatch_count: 1, last_run_id: "run-1", last_submitted_at: T0 + 60.1,
      last_error: null, lease_until: null, lease_owner: null, last_dispatched_by: "gw-a",
    });
  });

  test("applying the same fire twice counts it once", () => {
    const r = record({ type: "interval", intervalSeconds: 10, startAt: T0 });
    const once = afterDispatch(r, { slot: T0, runId: "run-1", now: T0 + 0.1, owner: "a", graceSec: GRACE });
    const twice = afterDispatch(once, { slot: T0, runId: "run-1", now: T0 + 0.2, owner: "b", graceSec: GRACE });
    expect(twice.dispatch_count).toBe(1);
    expect(twice.next_run_at).toBe(T0 + 10);
  });

  test("a slot late by at most the grace is followed by the next slot of its grid (no slot lost)", () => {
    const r = record({ type: "interval", intervalSeconds: 1, startAt: T0 });
    const after = afterDispatch(r, { slot: T0, runId: "r", now: T0 + 3.5, owner: "a", graceSec: GRACE });
    expect(after.next_run_at).toBe(T0 + 1);
  });

  test("run_once: a missed slot (later than the grace) is caught up by one run, then the next future slot", () => {
    const r = record({ type: "interval", intervalSeconds: 1, startAt: T0 });
    expect(fireDecision(r, T0, T0 + 100, GRACE)).toBe("fire");
    const after = afterDispatch(r, { slot: T0, runId: "r", now: T0 + 100.5, owner: "a", graceSec: GRACE });
    expect(after.next_run_at).toBe(T0 + 101);
  });

  test("skip: a missed slot is dropped without a run", () => {
    const r = record({ type: "interval", intervalSeconds: 60, startAt: T0 }, { misfirePolicy: "skip" });
    expect(fireDecision(r, T0, T0 + 5, GRACE)).toBe("fire");
    expect(fireDecision(r, T0, T0 + 500, GRACE)).toBe("skip");
    const after = afterSkip(r, { slot: T0, now: T0 + 500, graceSec: GRACE });
    expect(after).toMatchObject({ next_run_at: T0 + 540, dispatch_count: 0, last_run_id: null });
  });

  test("cron moves to its next fire; a missed cron fire catches up once", () => {
    const r = record({ type: "cron", cron: cron("0 * * * *"), timezone: "UTC" });
    const slot = nextFireAt(r)!;
    expect(slot).toBe(T0 + 3600);
    expect(afterDispatch(r, { slot, runId: "r", now: slot + 1, owner: "a", graceSec: GRACE }).cron_next_run_at).toBe(T0 + 7200);
    expect(afterDispatch(r, { slot, runId: "r", now: slot + 5 * 3600 + 5, owner: "a", graceSec: GRACE }).cron_next_run_at).toBe(T0 + 7 * 3600);
  });

  test("a record paused while the fire was in flight keeps its pause", () => {
    const r = record({ type: "interval", intervalSeconds: 10, startAt: T0 });
    const paused = (pauseRecord(r, T0) as { record: ScheduleRecord }).record;
    const after = afterDispatch(paused, { slot: T0, runId: "r", now: T0 + 0.1, owner: "a", graceSec: GRACE });
    expect(after).toMatchObject({ status: "PAUSED", next_run_at: null, dispatch_count: 1, last_run_id: "r" });
  });

  test("a one-shot paused while its fire was in flight still ends COMPLETED (resume cannot fire it twice)", () => {
    const r = record({ type: "once", runAt: T0 + 60 });
    const paused = (pauseRecord(r, T0 + 60) as { record: ScheduleRecord }).record;
    const after = afterDispatch(paused, { slot: T0 + 60, runId: "r", now: T0 + 60.1, owner: "a", graceSec: GRACE });
    expect(after).toMatchObject({ status: "COMPLETED", next_run_at: null, dispatch_count: 1 });
    expect(resumeRecord(after, T0 + 61)).toEqual({ ok: false, reason: "schedule is completed" });
  });

  test("a failed submit records the error and keeps the fire time (retried)", () => {
    const r = claimRecord(record({ type: "once", runAt: T0 + 60 }), T0 + 60, 1, "a");
    const after = afterFailure(r, { error: "NatsUnavailableError: nats unavailable: disconnected", now: T0 + 61 });
    expect(after).toMatchObject({ status: "ACTIVE", next_run_at: T0 + 60, lease_until: null, last_error: "NatsUnavailableError: nats unavailable: disconnected", dispatch_count: 0 });
    expect(isDue(after, T0 + 61)).toBe(true);
  });
});

describe("pause and resume", () => {
  test("interval: resume continues at the next future slot; passed slots are not replayed", () => {
    const r = record({ type: "interval", intervalSeconds: 10, startAt: T0 });
    const paused = (pauseRecord(r, T0 + 1) as { record: ScheduleRecord }).record;
    expect(pauseRecord(paused, T0 + 2)).toMatchObject({ ok: true, changed: false });
    const resumed = resumeRecord(paused, T0 + 55);
    expect(resumed).toMatchObject({ ok: true, changed: true, record: { status: "ACTIVE", next_run_at: T0 + 60 } });
  });

  test("once: a run_at that passed while paused fires once after resume", () => {
    const r = record({ type: "once", runAt: T0 + 60 });
    const paused = (pauseRecord(r, T0) as { record: ScheduleRecord }).record;
    const resumed = resumeRecord(paused, T0 + 120) as { record: ScheduleRecord };
    expect(isDue(resumed.record, T0 + 120)).toBe(true);
  });

  test("cron resumes at its next fire after now", () => {
    const r = record({ type: "cron", cron: cron("*/10 * * * *"), timezone: "UTC" });
    const paused = (pauseRecord(r, T0) as { record: ScheduleRecord }).record;
    expect(paused.cron_next_run_at).toBeNull();
    expect((resumeRecord(paused, T0 + 601) as { record: ScheduleRecord }).record.cron_next_run_at).toBe(T0 + 1200);
  });

  test("a completed schedule cannot be paused or resumed", () => {
    const done = { ...record({ type: "once", runAt: T0 + 1 }), status: "COMPLETED", next_run_at: null };
    expect(pauseRecord(done, T0)).toEqual({ ok: false, reason: "schedule is completed" });
    expect(resumeRecord(done, T0)).toEqual({ ok: false, reason: "schedule is completed" });
  });
});

describe("view, order and run ids", () => {
  test("next_fire_times previews five fires; none when paused", () => {
    const r = record({ type: "interval", intervalSeconds: 30, startAt: T0 + 5 });
    expect(nextFireTimes(r)).toEqual([5, 35, 65, 95, 125].map((d) => T0 + d));
    expect(nextFireTimes(record({ type: "once", runAt: T0 + 9 }))).toEqual([T0 + 9]);
    expect(nextFireTimes((pauseRecord(r, T0) as { record: ScheduleRecord }).record)).toEqual([]);
  });

  test("a record written by the original (no type of ours, unknown status) reads safely", () => {
    const legacy = { ...record({ type: "interval", intervalSeconds: 5, startAt: T0 }), status: "weird", misfire_policy: undefined } as ScheduleRecord;
    expect(scheduleView(legacy)).toMatchObject({ status: "ACTIVE", schedule_type: "interval", misfire_policy: "run_once", cron: null });
  });

  test("list order: ACTIVE first, then PAUSED, COMPLETED; by next fire, then id", () => {
    const a = { ...record({ type: "once", runAt: T0 + 50 }), schedule_id: "a" };
    const b = { ...record({ type: "once", runAt: T0 + 20 }), schedule_id: "b" };
    const c = { ...(pauseRecord(record({ type: "once", runAt: T0 + 1 }), T0) as { record: ScheduleRecord }).record, schedule_id: "c" };
    const d = { ...record({ type: "once", runAt: T0 + 1 }), schedule_id: "d", status: "COMPLETED", next_run_at: null };
    expect([d, c, a, b].sort(compareSchedules).map((r) => r.schedule_id)).toEqual(["b", "a", "c", "d"]);
  });

  test("fireRunId: uuid4-shaped, the same for the same slot, different for another slot or schedule", async () => {
    const id = await fireRunId("s-1", T0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await fireRunId("s-1", T0)).toBe(id);
    expect(await fireRunId("s-1", T0 + 1)).not.toBe(id);
    expect(await fireRunId("s-2", T0)).not.toBe(id);
  });
});
