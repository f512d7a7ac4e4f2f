/**
 * Request and response shapes of the run endpoints (http-contract.md §1.7–§1.11, §1.13), each
 * defined once as a TypeBox schema: the routes validate with them (schema.ts) and /openapi.json
 * is built from them, so the document and the behaviour agree.
 */
import { Type, type TObject, type TSchema } from "@sinclair/typebox";
import { RUN_STATUSES, SUMMARY_KEYS } from "../../domain/run.ts";
import { MAX_FLOW_NAME_LENGTH, MAX_TAG_LENGTH, MAX_TAGS } from "../../domain/limits.ts";
import type { RouteSchemas } from "../schema.ts";

export const TAG_PATTERN_TEXT = "^[A-Za-z0-9_-]+$";
/** Longest cancel reason kept in the snapshot (our additive field). */
export const CANCEL_REASON_MAX = 1000;

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const Include = Type.Array(Type.String(), { description: "records | task_records | full | all (repeatable; comma lists are not split)" });

export const DetailQuery = Type.Object({ include: Include });

export const ListQuery = Type.Object({
  status: Type.Optional(Type.String({ description: "exact, case-sensitive status" })),
  flow: Type.Optional(Type.String({ description: "exact flow_name" })),
  tag: Type.Optional(Type.String({ description: "exact routing tag" })),
  updated_after: Type.Optional(Type.Number({ description: "keep runs with updated_at strictly greater (selects the {items, next_cursor} shape)" })),
  cursor: Type.Optional(Type.String({ description: "next_cursor of the previous page (selects the {items, next_cursor} shape, even when empty)" })),
  workflow_yaml_sha256: Type.Optional(Type.String({ description: "exact workflow_yaml_sha256 (selects the {items, next_cursor} shape)" })),
  schedule_id: Type.Optional(Type.String({ description: "exact schedule_id" })),
  include: Type.Array(Type.String(), { description: "full | all: whole snapshots instead of the list view" }),
  limit: Type.Integer({ description: "page size", default: 50, minimum: 1, maximum: 200 }),
});

export const RunSubmitRequest = Type.Object({
  flow_name: Type.String({ minLength: 1, maxLength: MAX_FLOW_NAME_LENGTH }),
  params: Type.Optional(Type.Object({}, { additionalProperties: true, default: {}, description: "run parameters (any JSON object)" })),
  tag: Type.Optional(Type.Union([Type.String({ pattern: TAG_PATTERN_TEXT, maxLength: MAX_TAG_LENGTH }), Type.Null()], { description: "routing tag; default PYOCO_DEFAULT_TAG" })),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: MAX_TAG_LENGTH }), { maxItems: MAX_TAGS, default: [], description: "labels; empty → [tag]" })),
}, { title: "RunSubmitRequest" });

export const CancelRequest = Type.Object({
  reason: Type.Optional(Type.Union([Type.String({ maxLength: CANCEL_REASON_MAX }), Type.Null()], { description: "recorded as cancel_reason" })),
}, { title: "CancelRequest" });

export const SubmitResponse = Type.Object({
  run_id: Type.String({ format: "uuid" }), status: Type.Literal("PENDING"), bundle_hash: Type.Null(),
}, { title: "SubmitResponse" });

const snapshotFields = {
  run_id: Type.String(), flow_name: Type.String(), tag: Type.Optional(NullableString), tags: Type.Optional(Type.Array(Type.String())),
  tenant_id: Type.Optional(NullableString), api_key_id: Type.Optional(NullableString),
  status: Type.Union(RUN_STATUSES.map((s) => Type.Literal(s))),
  params: Type.Optional(Type.Object({}, { additionalProperties: true })),
  tasks: Type.Optional(Type.Record(Type.String(), Type.String())), task_records: Type.Optional(Type.Object({}, { additionalProperties: true })),
  task_records_truncated: Type.Optional(Type.Boolean()),
  start_time: Type.Optional(NullableNumber), end_time: Type.Optional(NullableNumber), heartbeat_at: Type.Optional(NullableNumber),
  updated_at: Type.Optional(NullableNumber), error: Type.Optional(NullableString), worker_id: Type.Optional(NullableString),
  attempt: Type.Optional(Type.Integer()),
  cancel_requested_at: Type.Optional(NullableNumber), cancel_requested_by: Type.Optional(NullableString), cancel_reason: Type.Optional(NullableString),
  workflow_yaml_sha256: Type.Optional(NullableString), workflow_yaml_bytes: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  schedule_id: Type.Optional(NullableString), requeue_reason: Type.Optional(NullableString),
  worker_alive: Type.Optional(Type.Boolean()), worker_state: Type.Optional(Type.String()), worker_heartbeat_at: Type.Optional(NullableNumber),
};

/** The stored snapshot; unknown fields pass through (wire-contract.md §4.3). */
export const RunSnapshotSchema = Type.Object(snapshotFields, { additionalProperties: true, title: "RunSnapshot" });

const fieldSchemas: Record<string, TSchema> = snapshotFields;
/** The list view: only these keys (domain/run.ts SUMMARY_KEYS), and only those present in the snapshot. */
export const RunSummary = Type.Object(
  Object.fromEntries(SUMMARY_KEYS.map((k) => [k, Type.Optional(fieldSchemas[k] ?? Type.Unknown())])),
  { title: "RunSummary", description: "list view: only these keys, and only those present in the snapshot" },
);

export const RunPage = Type.Object({ items: Type.Array(Type.Union([RunSummary, RunSnapshotSchema])), next_cursor: NullableString }, { title: "RunPage" });

export const TasksView = Type.Object({
  run_id: Type.String(), flow_name: Type.String(), status: Type.String(), tasks: Type.Record(Type.String(), Type.String()),
  task_records: Type.Object({}, { additionalProperties: true }), task_records_truncated: Type.Boolean(),
}, { title: "TasksView" });

const RUN_ID = { run_id: "run id (uuid4)" };
const NOT_FOUND = { 404: { description: "run not found (also for ids outside the NATS key alphabet and other tenants' runs)" } };
const NATS_DOWN = { 503: { description: "nats unavailable: <reason>" } };
const TAGS = ["runs"];

type Spec<Q extends TObject | undefined = TObject | undefined, B extends import("@sinclair/typebox").TSchema | undefined = undefined> = RouteSchemas<Q, B>;

export const SUBMIT_ROUTE: Spec<undefined, typeof RunSubmitRequest> = {
  method: "post", path: "/runs", summary: "Submit a run", tags: TAGS, body: RunSubmitRequest,
  responses: { 200: { description: "queued", schema: SubmitResponse }, ...NATS_DOWN },
};

export const SUBMIT_YAML_ROUTE: Spec<undefined> = {
  method: "post", path: "/runs/yaml", summary: "Submit a single-flow flow.yaml", tags: TAGS,
  description: "params = flow.defaults. 422 \"invalid tag\" / \"invalid workflow yaml\" (with the additive `reason` and `errors`: key path, line, column, expected) / \"missing flow_name\"; 413 \"workflow too large\".",
  rawBody: {
    contentType: "multipart/form-data",
    schema: Type.Object({ workflow: Type.String({ format: "binary" }), flow_name: Type.String(), tag: Type.Optional(Type.String()) }),
  },
  responses: {
    200: { description: "queued", schema: SubmitResponse }, 413: { description: "workflow too large" },
    422: {
      description: "invalid tag | invalid workflow yaml | missing flow_name, or a validation list",
      schema: Type.Object({
        detail: Type.Union([Type.String(), Type.Array(Type.Object({}, { additionalProperties: true }))]),
        reason: Type.Optional(Type.String({ description: "the original's reason string, e.g. unknown_top_level_keys: ['x']" })),
        errors: Type.Optional(Type.Array(Type.Object({
          code: Type.String(), message: Type.String(), path: Type.Array(Type.Union([Type.String(), Type.Integer()])),
          line: Type.Optional(Type.Integer({ minimum: 1 })), column: Type.Optional(Type.Integer({ minimum: 1 })), expected: Type.Optional(Type.String()),
        }))),
      }),
    },
    ...NATS_DOWN,
  },
};

export const LIST_ROUTE: Spec<typeof ListQuery> = {
  method: "get", path: "/runs", summary: "List runs (legacy array, or {items, next_cursor})", tags: TAGS, query: ListQuery,
  description: "The object shape is returned when updated_after or cursor is present, or workflow_yaml_sha256 is non-empty. Sorted by (updated_at, run_id) descending.",
  responses: {
    200: { description: "runs, newest first", schema: Type.Union([Type.Array(Type.Union([RunSummary, RunSnapshotSchema])), RunPage]) },
    422: { description: "invalid list query (malformed cursor), or a validation list" }, ...NATS_DOWN,
  },
};

export const DETAIL_ROUTE: Spec<typeof DetailQuery> = {
  method: "get", path: "/runs/{run_id}", summary: "One run's snapshot", tags: TAGS, pathParams: RUN_ID, query: DetailQuery,
  description: "task_records only with include=records|task_records|full|all. With a worker_id, worker_alive/worker_state/worker_heartbeat_at are added.",
  responses: { 200: { description: "the snapshot", schema: RunSnapshotSchema }, ...NOT_FOUND, ...NATS_DOWN },
};

export const TASKS_ROUTE: Spec<undefined> = {
  method: "get", path: "/runs/{run_id}/tasks", summary: "Task states and records of a run", tags: TAGS, pathParams: RUN_ID,
  responses: { 200: { description: "tasks", schema: TasksView }, ...NOT_FOUND, ...NATS_DOWN },
};

export const CANCEL_ROUTE: Spec<undefined, typeof CancelRequest> = {
  method: "post", path: "/runs/{run_id}/cancel", summary: "Request cancellation", tags: TAGS, pathParams: RUN_ID, body: CancelRequest, bodyOptional: true,
  description: "Terminal runs are returned unchanged; PENDING_APPROVAL becomes CANCELLED; anything else CANCELLING. Written compare-and-set. The body is optional; a body that is not JSON is ignored, as the original did.",
  responses: { 200: { description: "the snapshot after the request (without task_records)", schema: RunSnapshotSchema }, ...NOT_FOUND, ...NATS_DOWN },
};
