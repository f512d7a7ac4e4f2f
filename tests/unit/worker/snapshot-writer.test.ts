/** Pure snapshot building: pickup, runner events, terminal, and the CAS reconcile rules. */
import { describe, expect, test } from "bun:test";
import type { RunJob } from "../../../src/domain/job.ts";
import { initialSnapshot } from "../../../src/domain/run.ts";
import { applyRunEvent, pickupSnapshot, reconcile, terminalSnapshot } from "../../../src/domain/snapshot-writer.ts";

const job = { run_id: "r1", flow_name: "add", tag: "cpu", tags: ["cpu"], params: { x: 1 }, submitted_at: 1, spawn_depth: 0, tenant_id: "t1" } as RunJob;
const pending = initialSnapshot({ runId: "r1", flowName: "add", tag: "cpu", tags: ["cpu"], params: { x: 1 }, now: 1, tenantId: "t1" });
const owner = { workerId: "w1", attempt: 1 };

describe("pickupSnapshot", () => {
  test("RUNNING with worker_id, attempt and start_time; wire key order kept", () => {
    const s = pickupSnapshot(pending, job, owner, { x: 1 }, 10);
    expect(s).toMatchObject({ status: "RUNNING", worker_id: "w1", attempt: 1, start_time: 10, end_time: null, tenant_id: "t1", tasks: {}, spawn_depth: 0 });
    const keys = Object.keys(s);
    expect(keys.slice(0, 4)).toEqual(["run_id", "flow_name", "tag", "tags"]);
    expect(keys.indexOf("status")).toBeLessThan(keys.indexOf("start_time"));
  });

  test("a recorded cancel is kept and makes the pickup CANCELLING", () => {
    const s = pickupSnapshot({ ...pending, status: "CANCELLING", cancel_requested_at: 5 }, job, owner, {}, 10);
    expect(s.status).toBe("CANCELLING");
    expect(s.cancel_requested_at).toBe(5);
  });
});

describe("applyRunEvent", () => {
  test("task states follow the runner's events; a failed task's message becomes the error", () => {
    let s = pickupSnapshot(pending, job, owner, {}, 10);
    s = applyRunEvent(s, { type: "run_started", tasks: ["a", "b"] });
    expect(s.tasks).toEqual({ a: "PENDING", b: "PENDING" });
    s = applyRunEvent(s, { type: "task_started", task: "a" });
    s = applyRunEvent(s, { type: "task_finished", task: "a", state: "FAILED", error: { message: "boom" } });
    expect(s.tasks).toEqual({ a: "FAILED", b: "PENDING" });
    expect(s.error).toBe("boom");
    expect(s.status).toBe("RUNNING");
  });
});

describe("terminalSnapshot", () => {
  test("without a runner report, unfinished tasks end CANCELLED for a cancelled run", () => {
    const s = { ...pickupSnapshot(pending, job, owner, {}, 10), tasks: { a: "SUCCEEDED", b: "RUNNING", c: "PENDING" } };
    const t = terminalSnapshot(s, "CANCELLED", null, null, 20);
    expect(t.tasks).toEqual({ a: "SUCCEEDED", b: "CANCELLED", c: "CANCELLED" });
    expect(t.end_time).toBe(20);
  });
});

describe("reconcile (CAS re-apply)", () => {
  const mine = pickupSnapshot(pending, job, owner, {}, 10);

  test("a cancel stored meanwhile survives a progress write as CANCELLING", () => {
    const stored = { ...mine, status: "CANCELLING", cancel_requested_at: 11, cancel_requested_by: "api_key:k" };
    const r = reconcile(stored, { ...mine, tasks: { a: "RUNNING" } }, 12, 0);
    expect(r.write && r.value).toMatchObject({ status: "CANCELLING", cancel_requested_at: 11, cancel_requested_by: "api_key:k", tasks: { a: "RUNNING" }, updated_at: 12, heartbeat_at: 12 });
  });

  test("a run that completed despite a cancel stays COMPLETED and is flagged cancel_too_late", () => {
    const stored = { ...mine, status: "CANCELLING", cancel_requested_at: 11 };
    const r = reconcile(stored, { ...mine, status: "COMPLETED" }, 12, 0);
    expect(r.write && r.value).toMatchObject({ status: "COMPLETED", cancel_too_late: true });
  });

  test("a terminal stored run is never overwritten", () => {
    expect(reconcile({ ...mine, status: "COMPLETED" }, mine, 12, 0)).toEqual({ write: false, reason: "terminal" });
  });

  test("a newer delivery's ownership is never overwritten by an older one", () => {
    expect(reconcile({ ...mine, attempt: 2, worker_id: "w2" }, mine, 12, 0)).toEqual({ write: false, reason: "superseded" });
  });

  test("oversized snapshots drop task_records and say so", () => {
    const big = { ...mine, task_records: { a: { output: "x".repeat(500) } } };
    const r = reconcile(null, big, 12, 300);
    expect(r.write && r.value.task_records).toEqual({});
    expect(r.write && r.value.task_records_truncated).toBe(true);
  });
});
