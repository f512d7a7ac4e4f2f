// Scope: protocol v1 codec — encoding worker messages, decoding and validating every runner message kind.
import { describe, expect, test } from "bun:test";
import { decodeLine, encodeMessage } from "../../../src/runner/protocol.ts";

const enc = new TextEncoder();
const line = (v: unknown) => enc.encode(typeof v === "string" ? v : JSON.stringify(v));
const base = { v: 1, ts: 1766312345.25 };

const valid: Record<string, Record<string, unknown>> = {
  ready: {
    type: "ready", protocol: 1, runner_version: "1.0.0", pid: 42, python: "3.11.2",
    pyoco: { version: null, impl: "double" }, capabilities: ["ref"], startup_ms: 41.2,
  },
  run_started: { type: "run_started", run_id: "r", flow_name: "main", tasks: ["a"], params: { x: 1 } },
  task_started: { type: "task_started", run_id: "r", task: "a" },
  log: { type: "log", run_id: "r", task: "a", stream: "stdout", text: "hi\n", truncated: false },
  task_finished: { type: "task_finished", run_id: "r", task: "a", state: "FAILED", error: { type: "ValueError", message: "boom" } },
  run_finished: {
    type: "run_finished", run_id: "r", status: "COMPLETED", error: null, tasks: { a: "SUCCEEDED" },
    task_records: {}, params: {}, start_time: 1.5, end_time: null, duration_ms: 3,
  },
  cancel_ack: { type: "cancel_ack", run_id: "r", state: "CANCELLING" },
  rejected: { type: "rejected", run_id: "r", reason: "busy" },
  protocol_error: { type: "protocol_error", error: { code: "invalid_message", message: "x" }, raw: "garbage" },
  fatal: { type: "fatal", error: { code: "pyoco_import_error", message: "No module named 'pyoco'" } },
  pong: { type: "pong", nonce: "42" },
  bye: { type: "bye" },
};

describe("decodeLine", () => {
  for (const [kind, msg] of Object.entries(valid)) {
    test(`accepts a valid ${kind}`, () => {
      const out = decodeLine(line({ ...base, ...msg }));
      expect(out.type).toBe(kind as never);
      expect(out).toEqual({ ...base, ...msg } as never);
    });
  }

  test("accepts a logging record (task null outside a task) and a runner drop count", () => {
    const record = { ...base, type: "log", run_id: "r", task: null, stream: "log", level: "INFO", logger: "app", text: "hi" };
    expect(decodeLine(line(record))).toEqual(record as never);
    const dropped = { ...base, type: "log", run_id: "r", task: null, stream: "system", text: "3 dropped", dropped: 3 };
    expect(decodeLine(line(dropped))).toEqual(dropped as never);
    expect(decodeLine(line({ ...record, level: 20 })).type).toBe("decode_failure");
  });

  test("ignores unknown extra fields", () => {
    expect(decodeLine(line({ ...base, ...valid.bye, extra: [1, 2] })).type).toBe("bye");
  });

  const bad: Array<[string, unknown, string]> = [
    ["garbage text", "hello world", "invalid_json"],
    ["NaN literal", '{"v":1,"type":"pong","ts":NaN,"nonce":"1"}', "invalid_json"],
    ["an array", [1, 2], "invalid_message"],
    ["no type", { v: 1, ts: 1 }, "invalid_message"],
    ["wrong version", { ...base, v: 2, type: "bye" }, "unsupported_version"],
    ["unknown type", { ...base, type: "hello" }, "unknown_type"],
    ["prototype key as type", { ...base, type: "constructor" }, "unknown_type"],
    ["missing ts", { v: 1, type: "bye" }, "invalid_message"],
    ["run_finished without run_id", { ...base, ...valid.run_finished, run_id: undefined }, "invalid_message"],
    ["run_finished with a bad status", { ...base, ...valid.run_finished, status: "CANCELLING" }, "invalid_message"],
    ["log on a third stream", { ...base, ...valid.log, stream: "fd3" }, "invalid_message"],
    ["ready with an unknown impl", { ...base, ...valid.ready, pyoco: { version: "1", impl: "fake" } }, "invalid_message"],
    ["fatal without a code", { ...base, type: "fatal", error: { message: "x" } }, "invalid_message"],
    ["task_finished with a string duration", { ...base, ...valid.task_started, type: "task_finished", state: "SUCCEEDED", duration_ms: "1" }, "invalid_message"],
  ];
  for (const [name, input, code] of bad) {
    test(`rejects ${name} as ${code}`, () => {
      const out = decodeLine(line(input));
      expect(out.type).toBe("decode_failure");
      if (out.type === "decode_failure") expect(out.code).toBe(code as never);
    });
  }

  test("rejects invalid UTF-8", () => {
    const out = decodeLine(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    expect(out.type === "decode_failure" && out.code).toBe("invalid_utf8");
  });

  test("keeps at most 512 characters of a bad line", () => {
    const out = decodeLine(line("x".repeat(5000)));
    expect(out.type === "decode_failure" && out.raw.length).toBe(512);
  });
});

describe("encodeMessage", () => {
  test("writes one compact JSON line", () => {
    const bytes = encodeMessage({ v: 1, type: "ping", nonce: "7" });
    const text = new TextDecoder().decode(bytes);
    expect(text).toBe('{"v":1,"type":"ping","nonce":"7"}\n');
    expect(text.indexOf("\n")).toBe(text.length - 1);
  });

  test("escapes newlines inside strings so framing holds", () => {
    const text = new TextDecoder().decode(encodeMessage({ v: 1, type: "cancel", run_id: "a\nb", reason: "x\ny" }));
    expect(text.split("\n").length).toBe(2);
  });
});
