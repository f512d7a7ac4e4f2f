/**
 * Query specs and OpenAPI descriptions of the run endpoints (http-contract.md §1.7–§1.11, §1.13).
 * The query specs are what the routes validate with, so the document and the behaviour agree.
 */
import { SUMMARY_KEYS } from "../../domain/run.ts";
import { queryParameters, type QuerySpec } from "../validation.ts";
import { pathParam, type JsonSchema, type RouteDoc } from "./openapi.ts";

export const TAG_PATTERN_TEXT = "^[A-Za-z0-9_-]+$";
/** Longest cancel reason kept in the snapshot (our additive field). */
export const CANCEL_REASON_MAX = 1000;

const INCLUDE = { kind: "list", description: "records | task_records | full | all (repeatable; comma lists are not split)" } as const;

export const DETAIL_QUERY = { include: INCLUDE } satisfies QuerySpec;

export const LIST_QUERY = {
  status: { kind: "string", description: "exact, case-sensitive status" },
  flow: { kind: "string", description: "exact flow_name" },
  tag: { kind: "string", description: "exact routing tag" },
  updated_after: { kind: "float", description: "keep runs with updated_at strictly greater (selects the {items, next_cursor} shape)" },
  cursor: { kind: "string", description: "next_cursor of the previous page (selects the {items, next_cursor} shape, even when empty)" },
  workflow_yaml_sha256: { kind: "string", description: "exact workflow_yaml_sha256 (selects the {items, next_cursor} shape)" },
  schedule_id: { kind: "string", description: "exact schedule_id" },
  include: { kind: "list", description: "full | all: whole snapshots instead of the list view" },
  limit: { kind: "int", description: "page size", default: 50, ge: 1, le: 200 },
} satisfies QuerySpec;

const nullableString = { type: ["string", "null"] };
const RUN_ID = pathParam("run_id", "run id (uuid4)");

const SUBMIT_RESPONSE: JsonSchema = {
  type: "object", required: ["run_id", "status", "bundle_hash"],
  properties: { run_id: { type: "string", format: "uuid" }, status: { type: "string", enum: ["PENDING"] }, bundle_hash: { type: "null" } },
};

/** The stored snapshot; unknown fields pass through (wire-contract.md §4.3). */
const SNAPSHOT: JsonSchema = {
  type: "object", additionalProperties: true, required: ["run_id", "flow_name", "status"],
  properties: {
    run_id: { type: "string" }, flow_name: { type: "string" }, tag: nullableString, tags: { type: "array", items: { type: "string" } },
    tenant_id: nullableString, api_key_id: nullableString,
    status: { type: "string", enum: ["PENDING", "PENDING_APPROVAL", "RUNNING", "CANCELLING", "COMPLETED", "FAILED", "CANCELLED"] },
    params: { type: "object" }, tasks: { type: "object", additionalProperties: { type: "string" } }, task_records: { type: "object" },
    start_time: { type: ["number", "null"] }, end_time: { type: ["number", "null"] }, heartbeat_at: { type: ["number", "null"] },
    updated_at: { type: ["number", "null"] }, error: nullableString, worker_id: nullableString,
    cancel_requested_at: { type: ["number", "null"] }, cancel_requested_by: nullableString, cancel_reason: nullableString,
    workflow_yaml_sha256: nullableString, workflow_yaml_bytes: { type: ["integer", "null"] }, schedule_id: nullableString,
    worker_alive: { type: "boolean" }, worker_state: { type: "string" }, worker_heartbeat_at: { type: ["number", "null"] },
  },
};

const SUMMARY: JsonSchema = {
  type: "object", description: "list view: only these keys, and only those present in the snapshot",
  properties: Object.fromEntries(SUMMARY_KEYS.map((k) => [k, (SNAPSHOT.properties as Record<string, unknown>)[k] ?? {}])),
};

const NOT_FOUND = { 404: { description: "run not found (also for ids outside the NATS key alphabet and other tenants' runs)" } };
const NATS_DOWN = { 503: { description: "nats unavailable: <reason>" } };

export const RUN_DOCS: RouteDoc[] = [
  {
    method: "post", path: "/runs", summary: "Submit a run", tags: ["runs"],
    requestBody: {
      contentType: "application/json",
      schema: {
        type: "object", title: "RunSubmitRequest", required: ["flow_name"],
        properties: {
          flow_name: { type: "string", minLength: 1 }, params: { type: "object", default: {} },
          tag: { type: ["string", "null"], pattern: TAG_PATTERN_TEXT, description: "routing tag; default PYOCO_DEFAULT_TAG" },
          tags: { type: "array", items: { type: "string" }, default: [], description: "labels; empty → [tag]" },
        },
      },
    },
    responses: { 200: { description: "queued", schema: SUBMIT_RESPONSE }, ...NATS_DOWN },
  },
  {
    method: "post", path: "/runs/yaml", summary: "Submit a single-flow flow.yaml", tags: ["runs"],
    description: "params = flow.defaults. 422 \"invalid tag\" / \"invalid workflow yaml\" / \"missing flow_name\"; 413 \"workflow too large\".",
    requestBody: {
      contentType: "multipart/form-data",
      schema: {
        type: "object", required: ["workflow", "flow_name"],
        properties: { workflow: { type: "string", format: "binary" }, flow_name: { type: "string" }, tag: { type: "string" } },
      },
    },
    responses: {
      200: { description: "queued", schema: SUBMIT_RESPONSE }, 413: { description: "workflow too large" },
      422: { description: "invalid tag | invalid workflow yaml | missing flow_name, or a validation list" }, ...NATS_DOWN,
    },
  },
  {
    method: "get", path: "/runs", summary: "List runs (legacy array, or {items, next_cursor})", tags: ["runs"],
    description: "The object shape is returned when updated_after or cursor is present, or workflow_yaml_sha256 is non-empty. Sorted by (updated_at, run_id) descending.",
    parameters: queryParameters(LIST_QUERY),
    responses: {
      200: {
        description: "runs, newest first",
        schema: {
          oneOf: [
            { type: "array", items: SUMMARY },
            { type: "object", required: ["items", "next_cursor"], properties: { items: { type: "array", items: SUMMARY }, next_cursor: nullableString } },
          ],
        },
      },
      422: { description: "invalid list query (malformed cursor), or a validation list" }, ...NATS_DOWN,
    },
  },
  {
    method: "get", path: "/runs/{run_id}", summary: "One run's snapshot", tags: ["runs"],
    description: "task_records only with include=records|task_records|full|all. With a worker_id, worker_alive/worker_state/worker_heartbeat_at are added.",
    parameters: [RUN_ID, ...queryParameters(DETAIL_QUERY)],
    responses: { 200: { description: "the snapshot", schema: SNAPSHOT }, ...NOT_FOUND, ...NATS_DOWN },
  },
  {
    method: "get", path: "/runs/{run_id}/tasks", summary: "Task states and records of a run", tags: ["runs"],
    parameters: [RUN_ID],
    responses: {
      200: {
        description: "tasks",
        schema: {
          type: "object", required: ["run_id", "flow_name", "status", "tasks", "task_records", "task_records_truncated"],
          properties: {
            run_id: { type: "string" }, flow_name: { type: "string" }, status: { type: "string" }, tasks: { type: "object" },
            task_records: { type: "object" }, task_records_truncated: { type: "boolean" },
          },
        },
      },
      ...NOT_FOUND, ...NATS_DOWN,
    },
  },
  {
    method: "post", path: "/runs/{run_id}/cancel", summary: "Request cancellation", tags: ["runs"],
    description: "Terminal runs are returned unchanged; PENDING_APPROVAL becomes CANCELLED; anything else CANCELLING. Written compare-and-set. The body is optional.",
    parameters: [RUN_ID],
    requestBody: {
      contentType: "application/json", required: false,
      schema: { type: "object", properties: { reason: { type: ["string", "null"], maxLength: CANCEL_REASON_MAX, description: "recorded as cancel_reason" } } },
    },
    responses: { 200: { description: "the snapshot after the request (without task_records)", schema: SNAPSHOT }, ...NOT_FOUND, ...NATS_DOWN },
  },
];
