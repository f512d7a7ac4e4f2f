/** decideDisposition: one row per row of wire-contract.md §5.9 / decisions.md §3.9–3.10, §7. Pure. */
import { describe, expect, test } from "bun:test";
import { decideDisposition, inProgressIntervalMs, type Disposition, type ExecutionResult } from "../../../src/domain/disposition.ts";

const ctx = { deliveryCount: 1, maxDeliver: 20, dlqExecutionError: true };
const last = { ...ctx, deliveryCount: 20 };
const ack = { kind: "ack" } as const;

const rows: [string, ExecutionResult, typeof ctx, Disposition][] = [
  ["invalid job → TERM + DLQ invalid_job, no snapshot", { kind: "invalid_job", error: "invalid_json" }, ctx,
    { settle: { kind: "term" }, terminal: null, dlq: { reason: "invalid_job", error: "invalid_json" } }],
  ["redelivery of a terminal run → ack, nothing written", { kind: "already_terminal" }, ctx, { settle: ack, terminal: null, dlq: null }],
  ["superseded delivery → ack, nothing written", { kind: "superseded" }, ctx, { settle: ack, terminal: null, dlq: null }],
  ["cancel before start → CANCELLED + ack", { kind: "cancelled_before_start" }, ctx, { settle: ack, terminal: { status: "CANCELLED", error: null }, dlq: null }],
  ["completed → COMPLETED + ack", { kind: "finished", status: "COMPLETED", error: null }, ctx, { settle: ack, terminal: { status: "COMPLETED", error: null }, dlq: null }],
  ["cancelled → CANCELLED + ack, no DLQ", { kind: "finished", status: "CANCELLED", error: null }, ctx, { settle: ack, terminal: { status: "CANCELLED", error: null }, dlq: null }],
  ["flow_not_found → FAILED + DLQ flow_not_found + ack",
    { kind: "finished", status: "FAILED", error: { code: "flow_not_found", phase: "resolve", message: "flow_not_found: 'x'" } }, ctx,
    { settle: ack, terminal: { status: "FAILED", error: "flow_not_found: 'x'" }, dlq: { reason: "flow_not_found", error: "flow_not_found: 'x'" } }],
  ["callable_import_error → FAILED + DLQ invalid_workflow + ack",
    { kind: "finished", status: "FAILED", error: { code: "callable_import_error", phase: "resolve", message: "No module named 'm'" } }, ctx,
    { settle: ack, terminal: { status: "FAILED", error: "No module named 'm'" }, dlq: { reason: "invalid_workflow", error: "No module named 'm'" } }],
  ["graph_invalid → invalid_workflow",
    { kind: "finished", status: "FAILED", error: { code: "graph_invalid", phase: "resolve", message: "name 'b' is not defined" } }, ctx,
    { settle: ack, terminal: { status: "FAILED", error: "name 'b' is not defined" }, dlq: { reason: "invalid_workflow", error: "name 'b' is not defined" } }],
  ["YAML rejected on the worker → invalid_workflow", { kind: "workflow_yaml_invalid", reason: "missing_flow" }, ctx,
    { settle: ack, terminal: { status: "FAILED", error: "missing_flow" }, dlq: { reason: "invalid_workflow", error: "missing_flow" } }],
  ["task_failed → FAILED with the task message + DLQ execution_error",
    { kind: "finished", status: "FAILED", error: { code: "task_failed", phase: "execute", message: "boom" } }, ctx,
    { settle: ack, terminal: { status: "FAILED", error: "boom" }, dlq: { reason: "execution_error", error: "boom" } }],
  ["task_failed with execution_error DLQ disabled → no DLQ",
    { kind: "finished", status: "FAILED", error: { code: "task_failed", phase: "execute", message: "boom" } }, { ...ctx, dlqExecutionError: false },
    { settle: ack, terminal: { status: "FAILED", error: "boom" }, dlq: null }],
  ["runner killed after a cancel → CANCELLED", { kind: "crashed", exitCode: null, signal: "SIGKILL", stderrTail: "", cancelled: true }, ctx,
    { settle: ack, terminal: { status: "CANCELLED", error: null }, dlq: null }],
  ["transient NATS failure → nak 2 s", { kind: "transient", message: "nats unavailable: x" }, ctx,
    { settle: { kind: "nak", delayMs: 2000 }, terminal: null, dlq: null }],
  ["transient failure on the last delivery → FAILED + DLQ max_deliver_exceeded + ack", { kind: "transient", message: "nats unavailable: x" }, last,
    { settle: ack, terminal: { status: "FAILED", error: "max_deliver_exceeded: nats unavailable: x" }, dlq: { reason: "max_deliver_exceeded", error: "nats unavailable: x" } }],
  ["no runner could start → nak, the job is not charged", { kind: "runner_unavailable", message: "fatal" }, ctx,
    { settle: { kind: "nak", delayMs: 2000 }, terminal: null, dlq: null }],
  ["interrupted by shutdown → nak at once", { kind: "interrupted" }, ctx, { settle: { kind: "nak", delayMs: 0 }, terminal: null, dlq: null }],
];

describe("decideDisposition", () => {
  test.each(rows)("%s", (_name, result, c, expected) => {
    expect(decideDisposition(result, c)).toEqual(expected);
  });

  test("a crash fails the run with the exit code and the stderr tail, DLQ execution_error", () => {
    const d = decideDisposition({ kind: "crashed", exitCode: 3, signal: null, stderrTail: "line1\nSegfault here\n", cancelled: false }, ctx);
    expect(d.settle).toEqual(ack);
    expect(d.terminal!.status).toBe("FAILED");
    expect(d.terminal!.error).toContain("exit code 3");
    expect(d.terminal!.error).toContain("Segfault here");
    expect(d.dlq!.reason).toBe("execution_error");
  });
});

describe("inProgressIntervalMs", () => {
  test.each([
    [10, 15, 5_000],    // defaults: AckWait 15 s → every 5 s (a third), so takeover after kill -9 is ≤ 15 s
    [10, 30, 10_000],   // the original's AckWait: its 10 s interval fits
    [3, 30, 3_000],     // a shorter configured interval is kept
    [30, 30, 10_000],   // ≥ AckWait → AckWait/3
    [10, 1, 500],       // tiny AckWait → max(0.5, 1/3)
    [0, 15, 5_000],     // disabled: still keep runs longer than AckWait alive
    [-1, 0.4, 500],
  ])("interval %p s with AckWait %p s → %p ms", (interval, ackWait, expected) => {
    expect(inProgressIntervalMs(interval, ackWait)).toBe(expected);
  });
});
