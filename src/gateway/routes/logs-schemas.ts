/**
 * TypeBox query schemas (what the routes validate with and /openapi.json shows as parameters) and
 * response schemas of the task-log endpoints; the checks at the bottom keep them equal to the shared
 * types of src/client/types.ts.
 */
import { Type, type Static } from "@sinclair/typebox";
import type { LogLine, LogPage } from "../../client/types.ts";
import { queryParametersOf, type Check, type Same } from "../schema.ts";
import { pathParam, type RouteDoc } from "./openapi.ts";

export const LOGS_QUERY = Type.Object({
  since_seq: Type.Integer({ default: 0, minimum: 0, description: "only lines with a greater sequence (next_seq of the previous page)" }),
  limit: Type.Integer({ default: 1000, minimum: 1, maximum: 5000, description: "at most this many lines" }),
});

export const LOGS_WATCH_QUERY = Type.Object({
  since_seq: Type.Integer({ default: 0, minimum: 0, description: "start after this sequence (Last-Event-ID wins when larger)" }),
  last_event_id: Type.Optional(Type.String({ description: "same as the Last-Event-ID header" })),
  timeout_sec: Type.Integer({ default: 600, minimum: 1, maximum: 3600, description: "end the stream after this many seconds even if the run goes on" }),
});

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const LogLineSchema = Type.Object({
  seq: Type.Integer({ description: "stream sequence: SSE id and since_seq cursor" }),
  run_id: Type.String(),
  task: NullableString,
  stream: Type.Union([Type.Literal("stdout"), Type.Literal("stderr"), Type.Literal("log"), Type.Literal("system")]),
  level: NullableString,
  logger: Type.Optional(NullableString),
  message: Type.String(),
  ts: Type.Number(),
  worker_id: Type.Optional(NullableString),
  attempt: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  dropped: Type.Optional(Type.Integer({ description: "system lines: how many lines of the run were dropped" })),
});

export const LogPageSchema = Type.Object({
  run_id: Type.String(), items: Type.Array(LogLineSchema),
  next_seq: Type.Union([Type.Integer(), Type.Null()], { description: "since_seq for the next call; null when the page is empty" }),
  dropped: Type.Integer({ description: "sum of `dropped` on this page's system lines (the run's total is on its last line)" }),
});

export type LogSchemaChecks = [Check<Same<Static<typeof LogLineSchema>, LogLine>>, Check<Same<Static<typeof LogPageSchema>, LogPage>>];

const RUN_ID = pathParam("run_id", "run id");
const NOT_FOUND = { 404: { description: "run not found (also another tenant's run)" } };
const NATS_DOWN = { 503: { description: "nats unavailable: <reason>" } };

export const LOG_DOCS: RouteDoc[] = [
  {
    method: "get", path: "/runs/{run_id}/logs", summary: "A run's task log lines, oldest first", tags: ["logs"],
    description: "stdout/stderr of each task (sent when the task ends), Python logging records (sent at once) and system lines (drops).",
    parameters: [RUN_ID, ...queryParametersOf(LOGS_QUERY)],
    responses: { 200: { description: "a page of lines", schema: LogPageSchema }, ...NOT_FOUND, ...NATS_DOWN },
  },
  {
    method: "get", path: "/runs/{run_id}/logs/watch", summary: "Follow a run's log lines (server-sent events)", tags: ["logs"],
    description: "Events: `log` (id = seq, data = LogLine), `heartbeat` after 5 s of silence, and `end` ({run_id, status, last_seq}) once the run has ended and its lines are sent. Resume with Last-Event-ID.",
    parameters: [RUN_ID, ...queryParametersOf(LOGS_WATCH_QUERY)],
    responses: { 200: { description: "text/event-stream", contentType: "text/event-stream", schema: { type: "string" } }, ...NOT_FOUND, ...NATS_DOWN },
  },
];
