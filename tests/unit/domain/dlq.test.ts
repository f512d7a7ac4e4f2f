/** DLQ rules without I/O: error folding, fingerprints, entries, grouping and the requeue run id. */
import { describe, expect, test } from "bun:test";
import { decodeDlqCursor, DlqGrouper, dlqFingerprint, dlqListView, dlqMatches, normaliseError, requeueRunId, toDlqEntry } from "../../../src/domain/dlq.ts";

describe("normaliseError", () => {
  test("folds ids, numbers and paths so repeats of one failure look the same", () => {
    expect(normaliseError("timeout after 30.5 s for run 6772f700-084c-4b6f-a565-8d321e826207"))
      .toBe("timeout after <n> s for run <id>");
    expect(normaliseError("No such file: /tmp/job-17/input.csv")).toBe("No such file: <path>");
    expect(normaliseError("  boom \n again ")).toBe("boom again");
    expect(normaliseError(null)).toBe("");
  });
});

describe("dlqFingerprint", () => {
  test("same reason, flow and folded error → same key; any of them different → another key", () => {
    const a = dlqFingerprint("execution_error", "etl", "row 17 failed");
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(dlqFingerprint("execution_error", "etl", "row 99 failed")).toBe(a);
    expect(dlqFingerprint("execution_error", "other", "row 17 failed")).not.toBe(a);
    expect(dlqFingerprint("flow_not_found", "etl", "row 17 failed")).not.toBe(a);
    expect(dlqFingerprint("execution_error", "etl", "column 17 failed")).not.toBe(a);
  });
});

describe("entries", () => {
  const record = { reason: "execution_error", error: "boom", timestamp: 10.5, run_id: "r1", flow_name: "f", tag: "cpu", tags: ["cpu", "x"], tenant_id: "t", params: { a: 1 }, workflow_yaml: "y" };
  test("toDlqEntry keeps the record and adds where it sits; the list view drops bulky fields", () => {
    const e = toDlqEntry(7, "pyoco.dlq.cpu", 100, record);
    expect(e).toMatchObject({ seq: 7, subject: "pyoco.dlq.cpu", received_at: 100, reason: "execution_error", run_id: "r1", tags: ["cpu", "x"], params: { a: 1 } });
    expect(e.fingerprint).toBe(dlqFingerprint("execution_error", "f", "boom"));
    const view = dlqListView(e);
    expect(view.params).toBeUndefined();
    expect(view.workflow_yaml).toBeUndefined();
    expect(e.params).toEqual({ a: 1 });
  });
  test("a record without fields still becomes an entry (tag from the subject)", () => {
    expect(toDlqEntry(1, "pyoco.dlq.gpu", 1, {})).toMatchObject({ reason: "unknown", tag: "gpu", run_id: null, flow_name: null, error: null });
  });
  test("filters: tenant scope includes null tenants only for a null-tenant caller", () => {
    const e = toDlqEntry(1, "pyoco.dlq.cpu", 50, { ...record, tenant_id: null });
    expect(dlqMatches(e, {})).toBe(true);
    expect(dlqMatches(e, { tenantId: null })).toBe(true);
    expect(dlqMatches(e, { tenantId: "t" })).toBe(false);
    expect(dlqMatches(e, { since: 50, until: 51 })).toBe(true);
    expect(dlqMatches(e, { until: 50 })).toBe(false);
    expect(dlqMatches(e, { reason: "invalid_job" })).toBe(false);
  });
  test("grouping counts, spans first/last seen and samples the newest", () => {
    const g = new DlqGrouper();
    g.add(toDlqEntry(1, "pyoco.dlq.a", 10, { reason: "execution_error", flow_name: "f", error: "row 1", tag: "a" }));
    g.add(toDlqEntry(2, "pyoco.dlq.b", 20, { reason: "execution_error", flow_name: "f", error: "row 2", tag: "b" }));
    g.add(toDlqEntry(3, "pyoco.dlq.a", 15, { reason: "flow_not_found", flow_name: "g", error: "x" }));
    const [first, second] = g.groups();
    expect(first).toMatchObject({ count: 2, first_seen: 10, last_seen: 20, tags: ["a", "b"], error_pattern: "row <n>" });
    expect(first!.sample.seq).toBe(2);
    expect(second).toMatchObject({ count: 1, reason: "flow_not_found" });
  });
});

describe("requeueRunId and cursor", () => {
  test("a uuid4-shaped id, stable for one entry, different for another entry or stream", () => {
    const e = { seq: 5, received_at: 1700000000.123, run_id: "r" };
    const id = requeueRunId("PYOCO_DLQ", e);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(requeueRunId("PYOCO_DLQ", { ...e })).toBe(id);
    expect(requeueRunId("PYOCO_DLQ", { ...e, seq: 6 })).not.toBe(id);
    expect(requeueRunId("PYOCO_DLQ", { ...e, received_at: 1700000001 })).not.toBe(id);
    expect(requeueRunId("OTHER", e)).not.toBe(id);
  });
  test("cursor: positive integers only", () => {
    expect(decodeDlqCursor("12")).toBe(12);
    for (const bad of ["", "0", "-1", "1.5", "abc", "9".repeat(20)]) expect(decodeDlqCursor(bad)).toBeNull();
  });
});
