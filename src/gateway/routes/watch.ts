/**
 * `GET /runs/{run_id}/watch` — server-sent events of one run (http-contract.md §1.12 with the
 * fixes of decisions.md §3.4).
 *
 * Events are pushed from the gateway's one KV watch (`deps.index.subscribe`), never polled, so
 * any number of watchers of a run cost no extra NATS traffic. Each `snapshot` frame carries the
 * KV revision as its `id:`; a reconnecting client sends it back as `Last-Event-ID` (or
 * `?last_event_id=`) and gets the current snapshot only if it is newer, then every later change.
 * The stream ends after the terminal snapshot, at `timeout_sec`, when the run is deleted, or (api_key
 * mode) within about a second and a half after the caller's key is revoked.
 */
import { isTerminal, type RunSnapshot } from "../../domain/run.ts";
import { keyRecheck, visibleTo, type Caller, type RoutePlugin } from "../route-context.ts";
import type { GatewayDeps } from "../deps.ts";
import { HttpError } from "../http-errors.ts";
import type { RunChange } from "../run-index.ts";
import { includesRecords, runView } from "./run-views.ts";
import { SSE_HEADERS, SseStream, streamLifetime } from "../sse.ts";
import { Type } from "@sinclair/typebox";
import { defineRoute } from "../schema.ts";

/** Default silence (ms) after which a `heartbeat` event is sent. */
export const DEFAULT_HEARTBEAT_MS = 5000;

const WatchQuery = Type.Object({
  include: Type.Array(Type.String(), { description: "records|task_records|full|all: keep task_records in snapshots" }),
  include_records: Type.Boolean({ default: false, description: "same as include=records (additive)" }),
  since: Type.Optional(Type.Number({ description: "only send snapshots whose updated_at >= since" })),
  timeout_sec: Type.Integer({ default: 60, minimum: 1, maximum: 600, description: "end the stream after this many seconds" }),
  last_event_id: Type.Optional(Type.String({ description: "resume after this event id (same as the Last-Event-ID header)" })),
  heartbeat_sec: Type.Optional(Type.Number({ minimum: 0.05, maximum: 600, description: "seconds of silence before a heartbeat event (default 5; additive)" })),
});

/** The run-mode view of a stored snapshot (same filtering as GET /runs/{run_id}). */
export function watchView(snapshot: RunSnapshot, includeRecords: boolean): Record<string, unknown> {
  return includeRecords ? snapshot : runView(snapshot);
}

export interface WatchOptions {
  runId: string;
  includeRecords: boolean;
  since?: number;
  timeoutMs: number;
  heartbeatMs: number;
  /** Revision the client has already seen (Last-Event-ID), or 0. */
  lastEventId: number;
  /** The caller in api_key mode (null: auth off); runs of other tenants look missing. */
  caller: Caller | null;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /**
   * api_key mode: re-checks the caller's key every KEY_RECHECK_MS; false (revoked, or refused)
   * closes the stream (issue 10 item 9). A NATS failure should answer true: an outage is not a revocation.
   */
  stillAuthorized?: () => Promise<boolean>;
}

function parseLastEventId(raw: string | null | undefined): number {
  if (!raw) return 0;
  const n = Number(raw.trim());
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/**
 * Open a watch: checks first (404 unknown run, 503 NATS down — thrown before any byte is
 * streamed), then returns the streaming response.
 */
export async function openRunWatch(deps: GatewayDeps, opts: WatchOptions): Promise<Response> {
  const { runId } = opts;
  // Subscribe BEFORE reading the current value so no change can fall between read and subscribe;
  // changes that arrive meanwhile are buffered and de-duplicated by revision.
  const buffered: RunChange[] = [];
  let onChange: (change: RunChange) => void = (change) => { buffered.push(change); };
  const unsubscribe = deps.index.subscribe(runId, (change) => onChange(change));

  let current: Awaited<ReturnType<typeof deps.js.runs.get>>;
  try {
    current = await deps.js.runs.get(runId);
  } catch (err) {
    unsubscribe();
    throw err;
  }
  if (!current || !visibleTo(current.value, opts.caller)) {
    unsubscribe();
    throw new HttpError(404, "run not found");
  }

  const stream: SseStream = new SseStream({ onClose: () => { unsubscribe(); lifetime.dispose(); } });
  const lifetime = streamLifetime(stream, {
    heartbeatMs: opts.heartbeatMs, timeoutMs: opts.timeoutMs, signal: opts.signal,
    heartbeat: () => ({ event: "heartbeat", data: { run_id: runId, ts: deps.clock.now() } }),
    stillAuthorized: opts.stillAuthorized,
  });

  let lastRevision = opts.lastEventId;
  const apply = (revision: number, snapshot: RunSnapshot | null) => {
    if (stream.closed || revision <= lastRevision) return;
    lastRevision = revision;
    if (snapshot === null || !visibleTo(snapshot, opts.caller)) { stream.close(); return; }   // deleted
    const updatedAt = typeof snapshot.updated_at === "number" ? snapshot.updated_at : 0;
    if (opts.since === undefined || updatedAt >= opts.since) {
      stream.send({
        id: revision,
        event: "snapshot",
        data: { run_id: runId, snapshot: watchView(snapshot, opts.includeRecords), ts: deps.clock.now() },
      });
      lifetime.touch();
    }
    if (isTerminal(snapshot.status)) stream.close();
  };

  // A client that already saw the terminal state (Last-Event-ID ≥ its revision) gets an empty, closed stream.
  if (current.revision <= lastRevision && isTerminal(current.value.status)) stream.close();
  apply(current.revision, current.value);
  for (const change of buffered) apply(change.revision, change.snapshot);
  buffered.length = 0;
  onChange = (change) => apply(change.revision, change.snapshot);

  lifetime.start();
  return new Response(stream.body, { status: 200, headers: { ...SSE_HEADERS } });
}

function heartbeatMsFrom(value: number | undefined, fallbackMs: number): number {
  return value === undefined ? fallbackMs : Math.round(value * 1000);
}

/** The watch route with a custom heartbeat interval (tests); `watchRoutes` uses the default 5 s. */
export function watchRoutesWith(opts: { heartbeatMs?: number } = {}): RoutePlugin {
  return (app, ctx) => {
    const route = defineRoute(ctx, {
      method: "get", path: "/runs/{run_id}/watch", summary: "Follow a run (server-sent events)", tags: ["runs"], pathParams: { run_id: "run id" }, query: WatchQuery,
      description: "Events: `snapshot` (data {run_id, ts, snapshot}; id = KV revision, send it back as Last-Event-ID to resume) and `heartbeat`. Ends after the terminal snapshot, at timeout_sec, or when the run is deleted.",
      responses: {
        200: { description: "an event stream", contentType: "text/event-stream", schema: Type.String({ description: "event: snapshot|heartbeat, id: <revision>, data: <JSON>" }) },
        404: { description: "run not found" }, 503: { description: "nats unavailable: <reason>" },
      },
    });
    return app.get("/runs/:run_id/watch", async ({ params, request }) => {
    const q = route.query(request);
    const heartbeatMs = heartbeatMsFrom(q.heartbeat_sec, opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    // After validation, as FastAPI does (http-contract.md §0.1).
    const caller = await ctx.authenticate(request);
    return openRunWatch(ctx.deps, {
      runId: params.run_id,
      includeRecords: q.include_records || includesRecords(q.include),
      since: q.since,
      timeoutMs: q.timeout_sec * 1000,
      heartbeatMs,
      lastEventId: parseLastEventId(request.headers.get("last-event-id") ?? q.last_event_id),
      caller,
      signal: request.signal,
      stillAuthorized: keyRecheck(ctx, request, caller),
    });
  });
  };
}

/** `GET /runs/{run_id}/watch`; in api_key mode a key is required and other tenants' runs are 404. */
export const watchRoutes: RoutePlugin = watchRoutesWith();
