/** Task timeline: execution order, bar positions on the axis, live bars, axis ticks. */
import { expect, test } from "bun:test";
import { axisTicks, buildTimeline } from "../../../src/dashboard/timeline.ts";

test("bars are placed by start and end on an axis from the first start to the last end", () => {
  const tl = buildTimeline({
    run_id: "r", status: "COMPLETED", start_time: 100, end_time: 110,
    tasks: { b: "SUCCEEDED", a: "SUCCEEDED", never: "PENDING" },
    task_records: {
      a: { state: "SUCCEEDED", started_at: 100, ended_at: 104, duration_ms: 4000 },
      b: { state: "SUCCEEDED", started_at: 105, ended_at: 110, duration_ms: null },
    },
  }, 999);
  expect(tl.start).toBe(100);
  expect(tl.end).toBe(110);
  expect(tl.tasks.map((t) => t.name)).toEqual(["a", "b", "never"]);
  expect([tl.tasks[0]!.leftPct, tl.tasks[0]!.widthPct]).toEqual([0, 40]);
  expect([tl.tasks[1]!.leftPct, tl.tasks[1]!.widthPct, tl.tasks[1]!.durationMs]).toEqual([50, 50, 5000]);
  expect(tl.tasks[2]!.leftPct).toBeNull();
});

test("a running task grows with the clock; no start time means no axis", () => {
  const live = buildTimeline({ run_id: "r", status: "RUNNING", task_records: { a: { state: "RUNNING", started_at: 100, ended_at: null } } }, 103);
  expect(live.tasks[0]!.live).toBe(true);
  expect(live.tasks[0]!.durationMs).toBe(3000);
  expect(live.end).toBe(103);
  expect(buildTimeline({ run_id: "r", status: "PENDING", tasks: { a: "PENDING" } }, 1).start).toBeNull();
});

test("axis ticks use round steps", () => {
  expect(axisTicks(10)).toEqual([0, 5, 10]);
  expect(axisTicks(7)).toEqual([0, 2, 4, 6]);
  expect(axisTicks(0)).toEqual([0]);
});
