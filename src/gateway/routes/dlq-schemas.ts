/**
 * Request and response shapes of the DLQ endpoints as TypeBox schemas: the query schemas are what
 * the routes validate with and what /openapi.json shows as parameters; the response schemas are documented. The compile-time checks at the bottom
 * keep the schemas and the shared types of src/client/types.ts in step.
 */
import { Type, type Static } from "@sinclair/typebox";
import type { DlqDeleteResult, DlqEntry, DlqGroup, DlqGroupList, DlqGroupRequeueResult, DlqPage, DlqRequeueResult } from "../../client/types.ts";
import { queryParametersOf, type Check, type KnownFields, type Same } from "../schema.ts";
import { pathParam, type RouteDoc } from "./openapi.ts";

const DLQ_FILTER_FIELDS = {
  reason: Type.Optional(Type.String({ description: "exact reason (invalid_job, flow_not_found, invalid_workflow, execution_error, max_deliver_exceeded)" })),
  tag: Type.Optional(Type.String({ description: "exact routing tag (the subject's last token)" })),
  flow: Type.Optional(Type.String({ description: "exact flow_name" })),
  since: Type.Optional(Type.Number({ description: "only entries stored at or after this time (epoch seconds)" })),
  until: Type.Optional(Type.Number({ description: "only entries stored before this time (epoch seconds)" })),
};

export const DLQ_FILTER_QUERY = Type.Object(DLQ_FILTER_FIELDS);

export const DLQ_LIST_QUERY = Type.Object({
  ...DLQ_FILTER_FIELDS,
  fingerprint: Type.Optional(Type.String({ description: "only the entries of this group" })),
  cursor: Type.Optional(Type.String({ description: "next_cursor of the previous page" })),
  limit: Type.Integer({ description: "page size", default: 50, minimum: 1, maximum: 500 }),
});

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

export const DlqEntrySchema = Type.Object({
  seq: Type.Integer({ description: "stream sequence: the entry's id" }),
  subject: Type.String(),
  received_at: Type.Number({ description: "when the stream stored it (epoch seconds)" }),
  fingerprint: Type.String({ description: "group key: hash of reason + flow_name + normalised error" }),
  reason: Type.String(),
  error: NullableString,
  timestamp: NullableNumber,
  run_id: NullableString,
  flow_name: NullableString,
  tag: NullableString,
  tags: Type.Optional(Type.Array(Type.String())),
  tenant_id: Type.Optional(NullableString),
  api_key_id: Type.Optional(NullableString),
  worker_id: Type.Optional(NullableString),
  requeued_run_id: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "the run a requeue of this entry created" })),
}, { additionalProperties: true, description: "the stored record plus where it sits; list views leave out params, workflow_yaml and payload" });

export const DlqPageSchema = Type.Object({ items: Type.Array(DlqEntrySchema), next_cursor: NullableString });

export const DlqGroupSchema = Type.Object({
  fingerprint: Type.String(), reason: Type.String(), flow_name: NullableString,
  error_pattern: Type.String({ description: "the error with numbers, ids and paths folded" }),
  count: Type.Integer(), first_seen: Type.Number(), last_seen: Type.Number(), tags: Type.Array(Type.String()),
  sample: DlqEntrySchema,
});
export const DlqGroupListSchema = Type.Object({ items: Type.Array(DlqGroupSchema) });

export const DlqRequeueResultSchema = Type.Object({
  seq: Type.Integer(), run_id: Type.String(), status: Type.String(),
  created: Type.Boolean({ description: "false when this entry had been requeued before (the same run is returned)" }),
  detail: Type.Optional(Type.String({ description: "group requeue: why the entry was skipped" })),
});
export const DlqGroupRequeueResultSchema = Type.Object({ fingerprint: Type.String(), count: Type.Integer(), requeued: Type.Array(DlqRequeueResultSchema) });
export const DlqDeleteResultSchema = Type.Object({
  seq: Type.Optional(Type.Integer()), fingerprint: Type.Optional(Type.String()),
  deleted: Type.Union([Type.Boolean(), Type.Integer()]),
});

// The schemas describe exactly the shared response types (a mismatch fails `bun run typecheck`).
export type DlqSchemaChecks = [
  Check<Same<KnownFields<DlqEntry>, Static<typeof DlqEntrySchema>>>,
  Check<Same<Static<typeof DlqRequeueResultSchema>, DlqRequeueResult>>,
  Check<Same<Static<typeof DlqGroupRequeueResultSchema>, DlqGroupRequeueResult>>,
  Check<Same<Static<typeof DlqDeleteResultSchema>, DlqDeleteResult>>,
  Check<Same<Static<typeof DlqPageSchema>["next_cursor"], DlqPage["next_cursor"]>>,
  Check<Same<Omit<Static<typeof DlqGroupSchema>, "sample">, Omit<DlqGroup, "sample">>>,
  Check<Same<keyof Static<typeof DlqGroupListSchema>, keyof DlqGroupList>>,
];

const SEQ = pathParam("seq", "stream sequence of the entry");
const FINGERPRINT = pathParam("fingerprint", "group fingerprint (16 hex characters)");
const NOT_FOUND = { 404: { description: "dlq entry not found (also another tenant's) / dlq group not found" } };
const NATS_DOWN = { 503: { description: "nats unavailable: <reason>" } };

export const DLQ_DOCS: RouteDoc[] = [
  {
    method: "get", path: "/dlq", summary: "List DLQ entries, newest first", tags: ["dlq"],
    parameters: queryParametersOf(DLQ_LIST_QUERY),
    responses: { 200: { description: "a page of entries", schema: DlqPageSchema }, 422: { description: "invalid dlq query (malformed cursor), or a validation list" }, ...NATS_DOWN },
  },
  {
    method: "get", path: "/dlq/groups", summary: "DLQ entries grouped by fingerprint", tags: ["dlq"],
    parameters: queryParametersOf(DLQ_FILTER_QUERY),
    responses: { 200: { description: "groups, most recent last_seen first", schema: DlqGroupListSchema }, ...NATS_DOWN },
  },
  {
    method: "get", path: "/dlq/{seq}", summary: "One DLQ entry with its params, flow.yaml and raw payload", tags: ["dlq"],
    parameters: [SEQ],
    responses: { 200: { description: "the entry", schema: DlqEntrySchema }, ...NOT_FOUND, ...NATS_DOWN },
  },
  {
    method: "post", path: "/dlq/{seq}/requeue", summary: "Submit the entry's run again (idempotent)", tags: ["dlq"],
    description: "A new run with the same flow, params, tag(s) and flow.yaml; its snapshot records requeued_from. The run id is derived from the entry, so repeating the request returns the same run with created=false. 409 when the entry holds no run to requeue (invalid_job) or its flow.yaml is not stored.",
    parameters: [SEQ],
    responses: { 200: { description: "the run", schema: DlqRequeueResultSchema }, 409: { description: "dlq entry cannot be requeued: <why>" }, ...NOT_FOUND, ...NATS_DOWN },
  },
  {
    method: "post", path: "/dlq/groups/{fingerprint}/requeue", summary: "Requeue every entry of a group", tags: ["dlq"],
    description: "Entries that cannot be requeued are skipped (listed with status SKIPPED and run_id \"\").",
    parameters: [FINGERPRINT],
    responses: { 200: { description: "one result per entry", schema: DlqGroupRequeueResultSchema }, ...NOT_FOUND, ...NATS_DOWN },
  },
  {
    method: "delete", path: "/dlq/{seq}", summary: "Delete one DLQ entry", tags: ["dlq"],
    parameters: [SEQ],
    responses: { 200: { description: "deleted", schema: DlqDeleteResultSchema }, ...NOT_FOUND, ...NATS_DOWN },
  },
  {
    method: "delete", path: "/dlq/groups/{fingerprint}", summary: "Delete every entry of a group", tags: ["dlq"],
    parameters: [FINGERPRINT],
    responses: { 200: { description: "how many were deleted", schema: DlqDeleteResultSchema }, ...NOT_FOUND, ...NATS_DOWN },
  },
];
