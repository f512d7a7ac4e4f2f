/** Run statuses: the full transition table, terminal detection, compaction and the initial snapshot. */
import { describe, expect, test } from "bun:test";
import { canTransition, compactSnapshot, initialSnapshot, RUN_STATUSES, summarize, type RunSnapshot, type RunStatus } from "../../../src/domain/run.ts";
import { wireSize } from "../../../src/domain/json.ts";

const LEGAL: Record<RunStatus, RunStatus[]> = {
  PENDING: ["PENDING", "RUNNING", "CANCELLING", "FAILED", "CANCELLED"],
  PENDING_APPROVAL: ["PENDING_APPROVAL", "PENDING", "CANCELLED"],
  RUNNING: ["RUNNING", "PENDING", "CANCELLING", "COMPLETED", "FAILED", "CANCELLED"],
  CANCELLING: ["CANCELLING", "CANCELLED", "COMPLETED", "FAILED"],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

describe("canTransition", () => {
  for (const from of RUN_STATUSES) {
    for (const to of RUN_STATUSES) {
      const legal = LEGAL[from].includes(to);
      test(`${from} → ${to} is ${legal ? "legal" : "illegal"}`, () => {
        expect(canTransition(from, to)).toBe(legal);
      });
    }
  }
});

describe("compactSnapshot", () => {
  const base = initialSnapshot({ runId: "r", flowName: "f", tag: "t", tags: ["t"], params: {}, now: 1 });
  const big: RunSnapshot = { ...base, task_records: { a: { output: "x".repeat(500) } }, tasks: { a: "SUCCEEDED" } };

  test("an oversize snapshot loses task_records and is flagged; tasks are kept", () => {
    const c = compactSnapshot(big, 200);
    expect(c.task_records).toEqual({});
    expect(c.task_records_truncated).toBe(true);
    expect(c.tasks).toEqual({ a: "SUCCEEDED" });
  });

  test("a snapshot that fits is unchanged and the flag is removed, not set to false", () => {
    const c = compactSnapshot({ ...big, task_records_truncated: true }, 100_000);
    expect("task_records_truncated" in c).toBe(false);
    expect(c.task_records).toEqual(big.task_records as never);
  });

  test("a limit of 0 or less turns the guard off", () => {
    expect(compactSnapshot(big, 0).task_records).toEqual(big.task_records as never);
    expect(wireSize(compactSnapshot(big, -1))).toBeGreaterThan(200);
  });
});

describe("initialSnapshot and summarize", () => {
  test("the PENDING snapshot has the original's 15 keys in order", () => {
    const s = initialSnapshot({ runId: "r", flowName: "main", tag: "hello", tags: ["hello"], params: { x: 1 }, now: 5 });
    expect(Object.keys(s)).toEqual(["run_id", "flow_name", "tag", "tags", "tenant_id", "api_key_id", "status", "params", "tasks",
      "task_records", "start_time", "end_time", "heartbeat_at", "updated_at", "error"]);
  });
  test("the YAML variant adds sha256, bytes and schedule_id after the tenant fields", () => {
    const s = initialSnapshot({ runId: "r", flowName: "main", tag: "t", tags: ["t"], params: {}, now: 5, yaml: { sha256: "ab", bytes: 3 } });
    expect(Object.keys(s).slice(6, 9)).toEqual(["workflow_yaml_sha256", "workflow_yaml_bytes", "schedule_id"]);
  });
  test("the list view keeps only the summary keys that are present", () => {
    expect(summarize({ run_id: "r", status: "RUNNING", params: { a: 1 }, worker_id: "w" })).toEqual({ run_id: "r", status: "RUNNING", worker_id: "w" });
  });
});
