/**
 * Shapes of the schedule endpoints, defined once as TypeBox schemas: the routes read the form
 * fields and validate the query from them, the OpenAPI document shows them, and tests check
 * responses against them (`Value.Check(YamlScheduleSchema, body)`). The response matches
 * `YamlSchedule` in src/client/types.ts (the original's YamlScheduleResponse plus our fields).
 */
import { Type, type TSchema } from "@sinclair/typebox";
import { CRON_MAX_LENGTH } from "../../domain/cron.ts";
import { MISFIRE_POLICIES, PREVIEW_COUNT, SCHEDULE_STATUSES, SCHEDULE_TYPES } from "../../domain/schedule.ts";
import { queryParametersOf } from "../schema.ts";
import { pathParam, type JsonSchema, type RouteDoc } from "./openapi.ts";
import { TAG_PATTERN_TEXT } from "./run-schemas.ts";

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Epoch = (description: string) => Nullable(Type.Number({ description: `${description} (epoch seconds)` }));
const Literals = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const YamlScheduleSchema = Type.Object({
  schedule_id: Type.String({ description: "uuid4" }),
  flow_name: Type.String(),
  tag: Nullable(Type.String()),
  status: Literals(SCHEDULE_STATUSES),
  schedule_type: Literals(SCHEDULE_TYPES),
  workflow_yaml_sha256: Type.String(),
  workflow_yaml_bytes: Type.Integer(),
  tenant_id: Nullable(Type.String()),
  api_key_id: Nullable(Type.String()),
  created_at: Type.Number(),
  updated_at: Type.Number(),
  run_at: Epoch("one-shot time"),
  next_run_at: Epoch("next fire; null when paused or completed"),
  interval_seconds: Nullable(Type.Number()),
  start_at: Epoch("anchor of the interval grid"),
  last_submitted_at: Epoch("last fire"),
  last_run_id: Nullable(Type.String()),
  dispatch_count: Type.Integer(),
  last_error: Nullable(Type.String({ description: "last submit failure (\"<Error>: <message>\"), cleared by the next success" })),
  cron: Type.Optional(Nullable(Type.String())),
  timezone: Type.Optional(Nullable(Type.String({ description: "IANA zone of the cron expression" }))),
  misfire_policy: Type.Optional(Literals(MISFIRE_POLICIES)),
  next_fire_times: Type.Optional(Type.Array(Type.Number(), { maxItems: PREVIEW_COUNT, description: "the next fire times (epoch seconds)" })),
  last_run_status: Type.Optional(Nullable(Type.String())),
  last_dispatched_by: Type.Optional(Nullable(Type.String({ description: "the gateway that made the last fire (gateway-<pid>-<id>)" }))),
}, { additionalProperties: true, title: "YamlSchedule" });

export const ScheduleDeletedSchema = Type.Object({ schedule_id: Type.String(), deleted: Type.Literal(true) });

/** The multipart form of POST /schedules/yaml. Every text field the route reads is listed here. */
export const ScheduleFormSchema = Type.Object({
  workflow: Type.String({ format: "binary", description: "the flow.yaml (single flow)" }),
  flow_name: Type.String(),
  tag: Type.Optional(Type.String({ pattern: TAG_PATTERN_TEXT, description: "routing tag; default PYOCO_DEFAULT_TAG" })),
  run_at: Type.Optional(Type.String({ description: "one-shot: ISO 8601 with an offset, in the future" })),
  interval_seconds: Type.Optional(Type.String({ description: "fixed interval in seconds (> 0)" })),
  start_at: Type.Optional(Type.String({ description: "interval: first fire, ISO 8601 with an offset (default now + interval)" })),
  cron: Type.Optional(Type.String({ maxLength: CRON_MAX_LENGTH, description: "5-field cron expression (or @daily, @hourly, …)" })),
  timezone: Type.Optional(Type.String({ description: "IANA time zone of the cron expression (default UTC)" })),
  misfire_policy: Type.Optional(Literals(MISFIRE_POLICIES)),
}, { required: ["workflow", "flow_name"] });

/** Text fields of the form, as the route reads them. */
export type ScheduleFormField = Exclude<keyof typeof ScheduleFormSchema.properties, "workflow">;
export const SCHEDULE_FORM_TEXT_FIELDS = Object.keys(ScheduleFormSchema.properties).filter((k) => k !== "workflow") as ScheduleFormField[];

export const SCHEDULE_RUNS_QUERY = Type.Object({
  include: Type.Array(Type.String(), { description: "full | all: whole snapshots instead of the list view" }),
  limit: Type.Integer({ description: "at most this many runs", default: 50, minimum: 1, maximum: 200 }),
});

const SCHEDULE_ID = pathParam("schedule_id", "schedule id (uuid4)");
const NOT_FOUND = { 404: { description: "schedule not found (also another tenant's)" } };
const COMPLETED = { 409: { description: "schedule is completed" } };
const NATS_DOWN = { 503: { description: "nats unavailable: <reason>" } };
const schedule = YamlScheduleSchema as unknown as JsonSchema;

export const SCHEDULE_DOCS: RouteDoc[] = [
  {
    method: "post", path: "/schedules/yaml", summary: "Schedule a flow.yaml: once, every N seconds, or on a cron", tags: ["schedules"],
    description: "Exactly one of run_at, interval_seconds or cron. 422 \"invalid tag\" / \"invalid workflow yaml\" / \"missing flow_name\" / " +
      "\"specify either run_at or interval_seconds\" / \"run_at must be in the future\" / \"interval_seconds must be positive\" / " +
      "\"invalid cron expression: …\" / \"unknown timezone: …\"; 413 \"workflow too large\".",
    requestBody: { contentType: "multipart/form-data", schema: ScheduleFormSchema as unknown as JsonSchema },
    responses: { 200: { description: "the schedule", schema: schedule }, 413: { description: "workflow too large" }, 422: { description: "invalid input (reason in detail)" }, ...NATS_DOWN },
  },
  {
    method: "get", path: "/schedules", summary: "List schedules", tags: ["schedules"],
    description: "ACTIVE first, then PAUSED and COMPLETED; within each, by next fire (or created_at), then schedule_id.",
    responses: { 200: { description: "schedules", schema: { type: "array", items: schedule } }, ...NATS_DOWN },
  },
  {
    method: "get", path: "/schedules/{schedule_id}", summary: "One schedule", tags: ["schedules"], parameters: [SCHEDULE_ID],
    responses: { 200: { description: "the schedule", schema: schedule }, ...NOT_FOUND, ...NATS_DOWN },
  },
  {
    method: "get", path: "/schedules/{schedule_id}/runs", summary: "Runs a schedule created, newest first", tags: ["schedules"],
    parameters: [SCHEDULE_ID, ...queryParametersOf(SCHEDULE_RUNS_QUERY)],
    responses: { 200: { description: "runs (list view, or whole snapshots with include=full)", schema: { type: "array", items: { type: "object" } } }, ...NOT_FOUND, ...NATS_DOWN },
  },
  {
    method: "delete", path: "/schedules/{schedule_id}", summary: "Delete a schedule (its runs are kept)", tags: ["schedules"], parameters: [SCHEDULE_ID],
    responses: { 200: { description: "deleted", schema: ScheduleDeletedSchema as unknown as JsonSchema }, ...NOT_FOUND, ...NATS_DOWN },
  },
  {
    method: "post", path: "/schedules/{schedule_id}/pause", summary: "Pause a schedule (no fires until resumed)", tags: ["schedules"], parameters: [SCHEDULE_ID],
    responses: { 200: { description: "the schedule (PAUSED)", schema: schedule }, ...NOT_FOUND, ...COMPLETED, ...NATS_DOWN },
  },
  {
    method: "post", path: "/schedules/{schedule_id}/resume", summary: "Resume a paused schedule", tags: ["schedules"],
    description: "Slots that passed while paused are not caught up; a one-shot whose time passed fires once, now.",
    parameters: [SCHEDULE_ID],
    responses: { 200: { description: "the schedule (ACTIVE)", schema: schedule }, ...NOT_FOUND, ...COMPLETED, ...NATS_DOWN },
  },
];
