/** decodeRunJob: every malformed case of wire-contract.md §4.1 and §12 becomes invalid_job, never an exception. */
import { describe, expect, test } from "bun:test";
import { decodeRunJob, decodeRunJobValue } from "../../../src/domain/job.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const valid = { run_id: "0bbdf629-f8c7-4d05-92cb-cdb343031045", flow_name: "main", tag: "hello", tags: ["hello"], params: { x: 1 }, submitted_at: 1795279109.7674747 };

describe("decodeRunJob", () => {
  test("decodes the original's wire sample and keeps unknown keys", () => {
    const r = decodeRunJob(enc(JSON.stringify({ ...valid, tenant_id: null, api_key_id: null, extra: 1 })));
    expect(r).toEqual({ ok: true, job: { ...valid, tenant_id: null, api_key_id: null, extra: 1, spawn_depth: 0 } as never });
  });

  test("applies the original's defaults: tag 'default', tags [tag], params {}, submitted_at 0", () => {
    const r = decodeRunJobValue({ run_id: "r1", flow_name: "f" });
    expect(r.ok && r.job).toMatchObject({ tag: "default", tags: ["default"], params: {}, submitted_at: 0, spawn_depth: 0 });
  });

  test("numeric strings coerce like Python float()", () => {
    const r = decodeRunJobValue({ ...valid, submitted_at: "12.5", spawn_depth: "2" });
    expect(r.ok && [r.job.submitted_at, r.job.spawn_depth]).toEqual([12.5, 2]);
  });

  const bad: [string, Uint8Array, string][] = [
    ["invalid UTF-8", new Uint8Array([0xff, 0xfe, 0x7b]), "invalid_json"],
    ["not JSON", enc("not-json"), "invalid_json"],
    ["empty payload", enc(""), "invalid_json"],
    ["a JSON array", enc("[1,2]"), "invalid_schema"],
    ["a JSON string", enc('"x"'), "invalid_schema"],
    ["null", enc("null"), "invalid_schema"],
    ["missing run_id", enc('{"flow_name":"f"}'), "missing_fields"],
    ["missing flow_name", enc('{"run_id":"r"}'), "missing_fields"],
    // Python's json gives up near 1,000 levels: the runner would crash on it.
    ["params nested 5,000 levels", enc(`{"run_id":"r","flow_name":"f","params":{"d":${"[".repeat(5000)}${"]".repeat(5000)}}}`), "invalid_field: nested deeper than 500 levels"],
    ["JSON nested 100,000 levels", enc("[".repeat(100_000) + "]".repeat(100_000)), "invalid_field: nested deeper than 500 levels"],
  ];
  for (const [name, bytes, error] of bad) {
    test(`${name} → invalid_job ${error}`, () => {
      expect(decodeRunJob(bytes)).toMatchObject({ ok: false, error });
    });
  }

  // §12: these crashed the original worker with a TypeError.
  const badFields: [string, Record<string, unknown>][] = [
    ["submitted_at not a number", { submitted_at: "x" }],
    ["submitted_at a list", { submitted_at: [1] }],
    ["tags a number", { tags: 5 }],
    ["tags with a non-string", { tags: ["a", 1] }],
    ["params a list", { params: [1] }],
    ["tag a number", { tag: 7 }],
    ["run_id a number", { run_id: 5 }],
    ["run_id empty", { run_id: "" }],
    ["run_id outside the key alphabet", { run_id: "a b" }],
    ["run_id with a leading dot", { run_id: ".abc" }],
    ["flow_name null", { flow_name: null }],
    ["spawn_depth fractional", { spawn_depth: 1.5 }],
    ["workflow_yaml_bytes text", { workflow_yaml_bytes: "many" }],
    ["workflow_yaml a number", { workflow_yaml: 3 }],
  ];
  for (const [name, patch] of badFields) {
    test(`${name} → invalid_job`, () => {
      const r = decodeRunJob(enc(JSON.stringify({ ...valid, ...patch })));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/^(invalid_field|invalid_schema)/);
    });
  }

  test("reports the run id of a malformed job when it can be read", () => {
    expect(decodeRunJobValue({ run_id: "abc", flow_name: "f", tags: 5 })).toMatchObject({ ok: false, runId: "abc" });
  });
});
