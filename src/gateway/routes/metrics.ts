/**
 * `GET /metrics` — Prometheus text 0.0.4 (http-contract.md §1.3), plus the global hook that
 * counts every answered HTTP request by route template.
 *
 * The original's four gauges come first, with their exact HELP texts and order; our additions
 * follow. Run counts come from the in-memory run index, so an empty bucket gives zero metrics
 * and a NATS outage never turns /metrics into a 503: NATS-backed numbers are best effort and
 * their samples are left out when NATS cannot answer.
 */
import { isAlive } from "../../domain/worker-record.ts";
import { Type } from "@sinclair/typebox";
import type { RoutePlugin } from "../route-context.ts";
import { defineRoute } from "../schema.ts";
import type { GatewayDeps } from "../deps.ts";
import { httpMetrics, PromWriter, type Sample } from "../http-metrics.ts";
import { collectQueueStats, type QueueStats } from "./queues.ts";
import { readWorkers } from "./workers.ts";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

async function bestEffort<T>(fn: () => Promise<T>): Promise<T | null> {
  try { return await fn(); } catch { return null; }
}

function statusSamples(counts: Record<string, number>): Sample[] {
  return Object.keys(counts).sort().map((status) => ({ labels: { status }, value: counts[status]! }));
}

/** Render the whole exposition body. */
export async function renderMetrics(deps: GatewayDeps): Promise<string> {
  const now = deps.clock.now();
  const counts = deps.index.countsByStatus(now);
  const workers = await bestEffort(() => readWorkers(deps.js, now, deps.settings.workerDisconnectTimeoutSec));
  const [dlqDepth, queues] = await Promise.all([
    bestEffort(() => deps.js.dlq.depth()),
    bestEffort(() => collectQueueStats(deps, workers ?? [])),
  ]);
  const alive = (workers ?? []).filter((w) => isAlive(w.state)).length;
  const dlqSample: Sample[] = dlqDepth === null ? [] : [{ value: dlqDepth }];
  const perTag = (pick: (q: QueueStats) => number): Sample[] => (queues ?? []).map((q) => ({ labels: { tag: q.tag }, value: pick(q) }));

  const w = new PromWriter()
    // The original's four, verbatim (http-contract.md §1.3).
    .metric("pyoco_runs_total", "gauge", "Count of runs by status (best-effort from KV).", statusSamples(counts.total))
    .metric("pyoco_runs_today_total", "gauge", "Count of runs updated today by status (best-effort from KV).", statusSamples(counts.today))
    .metric("pyoco_workers_alive_total", "gauge", "Count of workers present in TTL KV (best-effort).", [{ value: alive }])
    .metric("pyoco_dlq_messages_total", "gauge", "Total DLQ messages in the DLQ stream (best-effort).", dlqSample);
  httpMetrics.writeTo(w);
  w.metric("pyoco_queue_waiting", "gauge", "Runs waiting in the work queue, by tag.", perTag((q) => q.waiting))
    .metric("pyoco_queue_unacknowledged", "gauge", "Runs delivered to a worker and not yet acknowledged, by tag.", perTag((q) => q.unacknowledged))
    .metric("pyoco_queue_workers", "gauge", "Alive workers (RUNNING or IDLE) serving the tag.", perTag((q) => q.workers))
    .metric("pyoco_dlq_depth", "gauge", "Messages in the DLQ stream.", dlqSample)
    .metric("pyoco_run_index_size", "gauge", "Runs held in the gateway's in-memory run index.", [{ value: deps.index.size }])
    .metric("pyoco_run_index_ready", "gauge", "1 when the run index has replayed the runs bucket, else 0.", [{ value: deps.index.isReady ? 1 : 0 }])
    .metric("pyoco_nats_connected", "gauge", "1 when the gateway is connected to NATS, else 0.", [{ value: deps.js.connected ? 1 : 0 }]);
  return w.text();
}

/**
 * `GET /metrics`. In api_key mode it needs a key unless PYOCO_METRICS_PUBLIC=1 (decisions.md §3.3).
 * The requests it reports are counted by `countRequests`, which app.ts registers before any route.
 */
export const metricsRoutes: RoutePlugin = (app, ctx) => {
  defineRoute(ctx, {
    method: "get", path: "/metrics", summary: "Prometheus metrics", tags: ["meta"],
    description: "Runs by status, workers by state, per-tag queue depth, DLQ depth, HTTP requests. Needs a key in api_key mode unless PYOCO_METRICS_PUBLIC=1.",
    responses: { 200: { description: "Prometheus text exposition format 0.0.4", contentType: "text/plain", schema: Type.String() } },
  });
  return app.get("/metrics", async ({ request }) => {
    if (!ctx.deps.settings.metricsPublic) await ctx.authenticate(request);
    return new Response(await renderMetrics(ctx.deps), { headers: { "content-type": METRICS_CONTENT_TYPE } });
  });
};
