/**
 * Task logs of a run (ours, docs/logs.md): `GET /runs/{run_id}/logs` (a page of lines, oldest
 * first) and `GET /runs/{run_id}/logs/watch` (server-sent events). Same auth and tenant rule as
 * the run itself: another tenant's run is 404.
 *
 * The watch pushes lines from a live ordered consumer (id = the line's stream sequence, so a
 * reconnect with Last-Event-ID resumes after it). It learns that the run ended from the
 * gateway's run index; workers store every line before they write the terminal snapshot, so the
 * watch then sends the lines up to the run's last stored sequence and an `end` event.
 */
import type { LogLine, LogPage } from "../../client/types.ts";
import { isTerminal } from "../../domain/run.ts";
import type { FollowHandle } from "../../jetstream/index.ts";
import type { GatewayDeps } from "../deps.ts";
import { HttpError, ok } from "../http-errors.ts";
import { keyRecheck, visibleTo, type Caller, type RouteContext, type RoutePlugin } from "../route-context.ts";
import { SSE_HEADERS, SseStream, streamLifetime } from "../sse.ts";
import { parseQueryWith } from "../schema.ts";
import { isPlainObject } from "../validation.ts";
import { LOG_DOCS, LOGS_QUERY, LOGS_WATCH_QUERY } from "./logs-schemas.ts";
import { DEFAULT_HEARTBEAT_MS } from "./watch.ts";

/** After the run ended, how long the watch waits for lines a worker could not store in time. */
const END_GRACE_MS = 5000;

export const logsRoutes: RoutePlugin = (app, ctx) => {
  for (const doc of LOG_DOCS) ctx.describe(doc);
  return app
    .get("/runs/:run_id/logs", async ({ request, params }) => {
      const q = parseQueryWith(LOGS_QUERY, new URL(request.url).searchParams);
      const caller = await ctx.authenticate(request);
      await visibleRun(ctx, params.run_id, caller);
      const items = await ctx.deps.js.logs.read(params.run_id, { sinceSeq: q.since_seq, limit: q.limit });
      const page: LogPage = {
        run_id: params.run_id, items,
        next_seq: items.length ? items[items.length - 1]!.seq : null,
        dropped: items.reduce((n, l) => n + (typeof l.dropped === "number" ? l.dropped : 0), 0),
      };
      return ok(page);
    })
    .get("/runs/:run_id/logs/watch", async ({ request, params }) => {
      const q = parseQueryWith(LOGS_WATCH_QUERY, new URL(request.url).searchParams);
      const caller = await ctx.authenticate(request);
      const header = request.headers.get("last-event-id") ?? q.last_event_id;
      const afterSeq = Math.max(q.since_seq, parseSeq(header));
      return openLogWatch(ctx.deps, { runId: params.run_id, caller, afterSeq, timeoutMs: q.timeout_sec * 1000, heartbeatMs: DEFAULT_HEARTBEAT_MS, signal: request.signal, stillAuthorized: keyRecheck(ctx, request, caller) });
    });
};

function parseSeq(raw: string | null | undefined): number {
  const n = Number((raw ?? "").trim());
  return raw && Number.isSafeInteger(n) && n > 0 ? n : 0;
}

async function visibleRun(ctx: RouteContext, runId: string, caller: Caller | null): Promise<Record<string, unknown>> {
  const found = await ctx.deps.js.runs.get(runId);
  if (!found || !isPlainObject(found.value) || !visibleTo(found.value, caller)) throw new HttpError(404, "run not found");
  return found.value;
}

interface LogWatchOptions {
  runId: string;
  caller: Caller | null;
  /** Send lines with a greater sequence (Last-Event-ID or since_seq). */
  afterSeq: number;
  timeoutMs: number;
  heartbeatMs: number;
  signal?: AbortSignal;
  /** api_key mode: closes the stream once the key is revoked (issue 10 item 9). */
  stillAuthorized?: () => Promise<boolean>;
}

async function openLogWatch(deps: GatewayDeps, opts: LogWatchOptions): Promise<Response> {
  const { runId } = opts;
  let endedMeanwhile: string | null = null;
  let onRunEnded: (status: string) => void = (status) => { endedMeanwhile = status; };
  // Subscribe before reading the run, so an end written in between is not missed.
  const unsubscribe = deps.index.subscribe(runId, (change) => {
    if (change.snapshot === null || isTerminal(change.snapshot.status)) onRunEnded(String(change.snapshot?.status ?? "DELETED"));
  });
  let run: { value: Record<string, unknown> } | null;
  try {
    run = await deps.js.runs.get(runId);
  } catch (err) { unsubscribe(); throw err; }
  if (!run || !visibleTo(run.value, opts.caller)) { unsubscribe(); throw new HttpError(404, "run not found"); }

  let follow: FollowHandle | null = null;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const stream: SseStream = new SseStream({
    onClose: () => { unsubscribe(); follow?.stop(); clearTimeout(graceTimer); lifetime.dispose(); },
  });
  const lifetime = streamLifetime(stream, {
    heartbeatMs: opts.heartbeatMs, timeoutMs: opts.timeoutMs, signal: opts.signal, stillAuthorized: opts.stillAuthorized,
    heartbeat: () => ({ event: "heartbeat", data: { run_id: runId, ts: Date.now() / 1000 } }),
  });

  let lastSent = opts.afterSeq;
  let endSeq: number | null = null;
  let endStatus = String(run.value.status ?? "");
  const end = () => {
    stream.send({ event: "end", data: { run_id: runId, status: endStatus, last_seq: lastSent } });
    stream.close();
  };
  const maybeEnd = () => { if (endSeq !== null && lastSent >= endSeq) end(); };
  const onLine = (line: LogLine) => {
    if (stream.closed || line.seq <= lastSent) return;
    lastSent = line.seq;
    stream.send({ id: line.seq, event: "log", data: line });
    lifetime.touch();
    maybeEnd();
  };
  onRunEnded = (status) => {
    if (endSeq !== null || stream.closed) return;
    endStatus = status;
    endSeq = Number.MAX_SAFE_INTEGER;   // until the last stored sequence is known
    graceTimer = setTimeout(end, END_GRACE_MS);
    deps.js.logs.lastSeq(runId).then((seq) => { endSeq = seq; maybeEnd(); }, () => end());
  };

  try {
    follow = await deps.js.logs.follow(runId, opts.afterSeq, onLine);
  } catch (err) { stream.close(); throw err; }
  if (endedMeanwhile !== null) onRunEnded(endedMeanwhile);
  else if (isTerminal(run.value.status)) onRunEnded(endStatus);
  lifetime.start();
  return new Response(stream.body, { status: 200, headers: { ...SSE_HEADERS } });
}
