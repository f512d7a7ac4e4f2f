/** The runs table's pure logic: merge order, filters, sorting, counts, durations. */
import { describe, expect, test } from "bun:test";
import {
  EMPTY_FILTER, canCancel, matchesFilter, mergeRun, newerRun, runDurationMs, statusCounts, visibleRuns, type RunRow,
} from "../../../src/dashboard/runs-model.ts";

const run = (id: string, extra: Partial<RunRow> = {}): RunRow => ({ run_id: id, status: "PENDING", flow_name: "main", tag: "cpu", updated_at: 100, ...extra });

describe("merging", () => {
  test("a late, older answer never replaces a newer version; a newer one keeps fields it lacks", () => {
    const cancelled = run("a", { status: "CANCELLED", updated_at: 200, task_records: { t: {} } });
    const lateCancelling = run("a", { status: "CANCELLING", updated_at: 150 });
    expect(newerRun(cancelled, lateCancelling)).toBe(cancelled);
    const listItem = { run_id: "a", status: "CANCELLED", updated_at: 200 } as RunRow;
    expect(newerRun(cancelled, listItem).task_records).toEqual({ t: {} });
    const map = new Map<string, RunRow>();
    expect(mergeRun(map, lateCancelling)).toBe(true);
    expect(mergeRun(map, cancelled)).toBe(true);
    expect(mergeRun(map, lateCancelling)).toBe(false);
    expect(map.get("a")!.status).toBe("CANCELLED");
  });
});

describe("filters", () => {
  const rows = [
    run("aaa111", { flow_name: "etl_daily", tag: "gpu", worker_id: "w-east-1", status: "RUNNING" }),
    run("bbb222", { flow_name: "report", tag: "cpu", worker_id: "w-west-2", status: "FAILED" }),
    run("ccc333", { flow_name: "Report_weekly", tags: ["cpu", "big"], status: "COMPLETED" }),
  ];
  const ids = (f: Partial<typeof EMPTY_FILTER>) => rows.filter((r) => matchesFilter(r, { ...EMPTY_FILTER, ...f })).map((r) => r.run_id);

  test("search matches run id, flow, tag and worker, case-insensitively", () => {
    expect(ids({ search: "BBB" })).toEqual(["bbb222"]);
    expect(ids({ search: "report" })).toEqual(["bbb222", "ccc333"]);
    expect(ids({ search: "east" })).toEqual(["aaa111"]);
    expect(ids({ search: "  " })).toEqual(["aaa111", "bbb222", "ccc333"]);
  });

  test("status ACTIVE means pending, running or cancelling; field filters are substrings", () => {
    expect(ids({ status: "ACTIVE" })).toEqual(["aaa111"]);
    expect(ids({ status: "FAILED" })).toEqual(["bbb222"]);
    expect(ids({ flow: "etl" })).toEqual(["aaa111"]);
    expect(ids({ tag: "big" })).toEqual(["ccc333"]);
    expect(ids({ worker: "west" })).toEqual(["bbb222"]);
  });
});

describe("sorting", () => {
  const rows = [
    run("a", { status: "COMPLETED", updated_at: 300, start_time: 10, end_time: 20, flow_name: "b" }),
    run("b", { status: "RUNNING", updated_at: 200, start_time: 50, flow_name: "a" }),
    run("c", { status: "FAILED", updated_at: 100, flow_name: "c" }),
  ];
  const order = (key: Parameters<typeof visibleRuns>[2], dir: "asc" | "desc") => visibleRuns(rows, EMPTY_FILTER, key, dir, 1000).map((r) => r.run_id);

  test("by time, text, duration; unknown values last in both directions", () => {
    expect(order("updated_at", "desc")).toEqual(["a", "b", "c"]);
    expect(order("updated_at", "asc")).toEqual(["c", "b", "a"]);
    expect(order("flow_name", "asc")).toEqual(["b", "a", "c"]);
    expect(order("start_time", "asc")).toEqual(["a", "b", "c"]);
    expect(order("start_time", "desc")).toEqual(["b", "a", "c"]);
    // running b: 950 s so far; completed a: 10 s; c never started
    expect(order("duration", "desc")).toEqual(["b", "a", "c"]);
  });

  test("ops priority puts active runs first, then failed, then completed", () => {
    expect(order("ops_default", "desc")).toEqual(["b", "c", "a"]);
  });
});

test("counts, durations and when cancel is offered", () => {
  expect(statusCounts([run("a"), run("b", { status: "COMPLETED" }), run("c", { status: "CANCELLED" }), run("d", { status: "CANCELLING" })]))
    .toEqual({ all: 4, active: 2, completed: 1, failed: 1 });
  expect(runDurationMs(run("a", { start_time: 10, end_time: 12.5 }), 99)).toBe(2500);
  expect(runDurationMs(run("a", { start_time: 10, status: "RUNNING" }), 13)).toBe(3000);
  expect(runDurationMs(run("a"), 13)).toBeNull();
  expect(["PENDING", "RUNNING", "CANCELLING", "COMPLETED", "PENDING_APPROVAL"].map(canCancel)).toEqual([true, true, false, false, false]);
});
