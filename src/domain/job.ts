/**
 * RunJob (wire-contract.md §4.1): the message on `pyoco.work.<tag>`, its TypeBox schema and a
 * decoder that never throws. Any malformed input — bad bytes, bad JSON, wrong shape, wrong field
 * types (which crashed the original, §12) — becomes an `invalid_job` reason.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { parseWireText } from "./json.ts";
import { jsonDepthExceeds, MAX_JSON_DEPTH, MAX_KEY_LENGTH, MAX_TAG_LENGTH } from "./limits.ts";

export const KV_KEY_PATTERN = /^[-/_=.a-zA-Z0-9]+$/;
/** NATS KV key rule (wire-contract.md §0): the alphabet, no leading or trailing dot, at most MAX_KEY_LENGTH characters. */
export function isValidKvKey(key: unknown): key is string {
  return typeof key === "string" && key.length <= MAX_KEY_LENGTH && KV_KEY_PATTERN.test(key) && !key.startsWith(".") && !key.endsWith(".");
}
export const TAG_PATTERN = /^[A-Za-z0-9_-]+$/;
/** A routing tag: TAG_PATTERN and at most MAX_TAG_LENGTH characters (it is a subject token). */
export function isValidTag(tag: string): boolean {
  return tag.length <= MAX_TAG_LENGTH && TAG_PATTERN.test(tag);
}

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const RunJobSchema = Type.Object({
  run_id: Type.String({ minLength: 1 }),
  flow_name: Type.String(),
  tag: Type.String(),
  tags: Type.Array(Type.String()),
  params: Type.Record(Type.String(), Type.Unknown()),
  submitted_at: Type.Number(),
  tenant_id: Type.Optional(NullableString),
  api_key_id: Type.Optional(NullableString),
  workflow_yaml: Type.Optional(NullableString),
  workflow_yaml_sha256: Type.Optional(NullableString),
  workflow_yaml_bytes: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  schedule_id: Type.Optional(NullableString),
  spawn_depth: Type.Integer(),
}, { additionalProperties: true });

export type RunJob = Static<typeof RunJobSchema> & Record<string, unknown>;

export type JobDecodeResult =
  | { ok: true; job: RunJob }
  /** `error` is the DLQ `error` string (invalid_json | invalid_schema | missing_fields | a field message). */
  | { ok: false; error: string; runId: string | null };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Python float(x or 0.0): numbers and numeric strings; anything else is an error message. */
function toFloat(name: string, v: unknown): number | string {
  if (v === undefined || v === null || v === 0 || v === "" || v === false) return 0;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return `invalid_field: ${name} must be a number, got ${JSON.stringify(v)}`;
}

function toInt(name: string, v: unknown): number | string {
  const f = toFloat(name, v);
  if (typeof f === "string") return f;
  return Number.isInteger(f) ? f : `invalid_field: ${name} must be an integer, got ${JSON.stringify(v)}`;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeRunJob(bytes: Uint8Array): JobDecodeResult {
  let text: string;
  try { text = utf8.decode(bytes); } catch { return { ok: false, error: "invalid_json", runId: null }; }
  // Python's json cannot decode what nests deeper than ~1,000 levels: such a job would crash the runner.
  if (jsonDepthExceeds(text)) return { ok: false, error: `invalid_field: nested deeper than ${MAX_JSON_DEPTH} levels`, runId: null };
  let data: unknown;
  try { data = parseWireText(text); } catch { return { ok: false, error: "invalid_json", runId: null }; }   // NaN/Infinity as Python writes them
  return decodeRunJobValue(data);
}

export function decodeRunJobValue(data: unknown): JobDecodeResult {
  if (!isPlainObject(data)) return { ok: false, error: "invalid_schema", runId: null };
  const rawRunId = typeof data.run_id === "string" ? data.run_id : null;
  const fail = (error: string): JobDecodeResult => ({ ok: false, error, runId: rawRunId });
  if (!("run_id" in data) || !("flow_name" in data)) return fail("missing_fields");
  if (typeof data.run_id !== "string" || data.run_id === "") return fail("invalid_field: run_id must be a non-empty string");
  if (!isValidKvKey(data.run_id)) return fail("invalid_field: run_id is not a valid key");
  if (typeof data.flow_name !== "string") return fail("invalid_field: flow_name must be a string");

  const tag = data.tag || "default";
  if (typeof tag !== "string") return fail("invalid_field: tag must be a string");
  const tags = data.tags || [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === "string")) return fail("invalid_field: tags must be a list of strings");
  const params = data.params || {};
  if (!isPlainObject(params)) return fail("invalid_field: params must be an object");
  const submittedAt = toFloat("submitted_at", data.submitted_at);
  if (typeof submittedAt === "string") return fail(submittedAt);
  const spawnDepth = toInt("spawn_depth", data.spawn_depth);
  if (typeof spawnDepth === "string") return fail(spawnDepth);
  let yamlBytes: number | null | undefined = undefined;
  if (data.workflow_yaml_bytes !== undefined && data.workflow_yaml_bytes !== null) {
    const n = toInt("workflow_yaml_bytes", data.workflow_yaml_bytes);
    if (typeof n === "string") return fail(n);
    yamlBytes = n;
  }

  const job = { ...data, tag, tags: tags.length ? tags : [tag], params, submitted_at: submittedAt, spawn_depth: spawnDepth } as RunJob;
  if (yamlBytes !== undefined) job.workflow_yaml_bytes = yamlBytes;
  if (!Value.Check(RunJobSchema, job)) {
    const first = Value.Errors(RunJobSchema, job).First();
    return fail(`invalid_schema${first ? `: ${first.path} ${first.message}` : ""}`);
  }
  return { ok: true, job };
}

/** The job message the gateway publishes (http-contract.md §1.7/§1.8, key order kept). */
export function buildRunJob(input: {
  runId: string; flowName: string; tag: string; tags: string[]; params: Record<string, unknown>;
  tenantId?: string | null; apiKeyId?: string | null; submittedAt: number;
  yaml?: { text: string; sha256: string; bytes: number; scheduleId?: string | null };
}): Record<string, unknown> {
  const job: Record<string, unknown> = {
    run_id: input.runId, flow_name: input.flowName, tag: input.tag, tags: input.tags,
    tenant_id: input.tenantId ?? null, api_key_id: input.apiKeyId ?? null, params: input.params,
  };
  if (input.yaml) {
    job.workflow_yaml = input.yaml.text;
    job.workflow_yaml_sha256 = input.yaml.sha256;
    job.workflow_yaml_bytes = input.yaml.bytes;
    job.schedule_id = input.yaml.scheduleId ?? null;
  }
  job.submitted_at = input.submittedAt;
  return job;
}
