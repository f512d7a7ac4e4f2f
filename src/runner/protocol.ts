/**
 * Protocol v1 codec (pyoco-runner.md §5): encode worker → runner messages, decode and validate
 * runner → worker lines. Pure; nothing unchecked leaves `decodeLine`.
 */
import type { RunnerToWorker, WorkerToRunner } from "./types.ts";
import { PROTOCOL_VERSION } from "./types.ts";
import { stringifyKeepingNonFinite } from "../domain/json.ts";

export interface DecodeFailure {
  type: "decode_failure";
  code: "invalid_utf8" | "invalid_json" | "invalid_message" | "unknown_type" | "unsupported_version";
  message: string;
  /** The first 512 characters of the line, for logs. */
  raw: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** One JSON line, `\n`-terminated. */
export function encodeMessage(msg: WorkerToRunner): Uint8Array {
  // NaN/Infinity as Python's json reads them (a YAML `.nan` default must reach the flow as a float).
  return encoder.encode(stringifyKeepingNonFinite(msg) + "\n");
}

type FieldKind = "string" | "number" | "object" | "array" | "string|null" | "number|null" | "object|null" | "boolean?" | "number?" | "string?" | "object?";
type Shape = Record<string, FieldKind>;

const SHAPES: Record<RunnerToWorker["type"], Shape> = {
  ready: {
    protocol: "number", runner_version: "string", pid: "number", python: "string", pyoco: "object",
    capabilities: "array", startup_ms: "number",
  },
  run_started: { run_id: "string", flow_name: "string", tasks: "array", params: "object" },
  task_started: { run_id: "string", task: "string" },
  log: { run_id: "string", task: "string|null", stream: "string", text: "string", truncated: "boolean?", level: "string?", logger: "string?", dropped: "number?" },
  task_finished: { run_id: "string", task: "string", state: "string", duration_ms: "number?", error: "object?" },
  run_finished: {
    run_id: "string", status: "string", error: "object|null", tasks: "object", task_records: "object",
    params: "object", start_time: "number|null", end_time: "number|null", duration_ms: "number?",
  },
  cancel_ack: { run_id: "string|null", state: "string" },
  rejected: { run_id: "string", reason: "string" },
  protocol_error: { error: "object", raw: "string?" },
  fatal: { error: "object" },
  pong: { nonce: "string|null" },
  bye: {},
};

const ENUMS: Partial<Record<RunnerToWorker["type"], Record<string, readonly string[]>>> = {
  log: { stream: ["stdout", "stderr", "log", "system"] },
  task_finished: { state: ["SUCCEEDED", "FAILED", "CANCELLED"] },
  run_finished: { status: ["COMPLETED", "FAILED", "CANCELLED"] },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fits(value: unknown, kind: FieldKind): boolean {
  const optional = kind.endsWith("?");
  if (optional && value === undefined) return true;
  const base = optional ? kind.slice(0, -1) : kind;
  for (const k of base.split("|")) {
    if (k === "null" && value === null) return true;
    if (k === "array" && Array.isArray(value)) return true;
    if (k === "object" && isObject(value)) return true;
    if (k === "number" && typeof value === "number" && Number.isFinite(value)) return true;
    if ((k === "string" || k === "boolean") && typeof value === k) return true;
  }
  return false;
}

function failure(code: DecodeFailure["code"], message: string, raw: string): DecodeFailure {
  return { type: "decode_failure", code, message, raw: raw.slice(0, 512) };
}

/** Decode one complete line (without its `\n`) into a validated runner message. */
export function decodeLine(line: Uint8Array): RunnerToWorker | DecodeFailure {
  let text: string;
  try {
    text = decoder.decode(line);
  } catch {
    return failure("invalid_utf8", "line is not valid UTF-8", new TextDecoder().decode(line.subarray(0, 512)));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return failure("invalid_json", `not JSON: ${(err as Error).message}`, text);
  }
  if (!isObject(value) || typeof value.type !== "string") {
    return failure("invalid_message", "expected an object with a string 'type'", text);
  }
  if (value.v !== PROTOCOL_VERSION) {
    return failure("unsupported_version", `unsupported protocol version ${JSON.stringify(value.v)}`, text);
  }
  const type = value.type as RunnerToWorker["type"];
  const shape = Object.hasOwn(SHAPES, type) ? SHAPES[type] : undefined;
  if (!shape) return failure("unknown_type", `unknown message type ${JSON.stringify(value.type)}`, text);
  if (!fits(value.ts, "number")) return failure("invalid_message", `${type}: 'ts' must be a number`, text);
  for (const [field, kind] of Object.entries(shape)) {
    if (!fits(value[field], kind)) return failure("invalid_message", `${type}: '${field}' must be ${kind}`, text);
  }
  for (const [field, allowed] of Object.entries(ENUMS[type] ?? {})) {
    if (!allowed.includes(value[field] as string)) {
      return failure("invalid_message", `${type}: '${field}' must be one of ${allowed.join(", ")}`, text);
    }
  }
  if ((type === "fatal" || type === "protocol_error") && typeof (value.error as Record<string, unknown>).code !== "string") {
    return failure("invalid_message", `${type}: 'error.code' must be a string`, text);
  }
  if (type === "ready") {
    const pyoco = value.pyoco as Record<string, unknown>;
    if (pyoco.impl !== "real" && pyoco.impl !== "double") return failure("invalid_message", "ready: 'pyoco.impl' must be real or double", text);
  }
  return value as unknown as RunnerToWorker;
}

/** True for the run events the pool streams to `onEvent`. */
export function isRunEvent(msg: RunnerToWorker): msg is Extract<RunnerToWorker, { type: "run_started" | "task_started" | "log" | "task_finished" | "cancel_ack" }> {
  return msg.type === "run_started" || msg.type === "task_started" || msg.type === "log" ||
    msg.type === "task_finished" || msg.type === "cancel_ack";
}
