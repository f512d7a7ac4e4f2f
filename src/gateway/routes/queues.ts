/**
 * `GET /queues` (additive, decisions.md §4 "Worker truth"): per routing tag, how many alive
 * workers serve it, how many runs wait, how many are delivered but unacknowledged, and how many
 * pull requests are parked (jobs delivered to no-longer-alive workers count as waiting, see
 * domain/queue-figures.ts). Tags with waiting jobs and no consumer or worker are listed too, so
 * "tag gpu: 0 workers, 37 waiting" is visible.
 *
 *   {"items":[{"tag":"gpu","workers":0,"waiting":37,"unacknowledged":0,"pulls_waiting":0}]}
 */
import { attributeUnacknowledged } from "../../domain/queue-figures.ts";
import { Type } from "@sinclair/typebox";
import type { RoutePlugin } from "../route-context.ts";
import { defineRoute } from "../schema.ts";
import type { GatewayDeps } from "../deps.ts";
import { ok } from "../http-errors.ts";
import { aliveWorkersByTag, readWorkers, type WorkerView } from "./workers.ts";

/** One row of `/queues`. */
export interface QueueStats {
  tag: string;
  /** Alive (RUNNING/IDLE) registry records that list this tag. */
  workers: number;
  waiting: number;
  unacknowledged: number;
  pulls_waiting: number;
}

/** Per-tag numbers from the work stream and the worker registry (read here unless given), sorted by tag. */
export async function collectQueueStats(deps: GatewayDeps, registry?: WorkerView[]): Promise<QueueStats[]> {
  const views = registry ?? await readWorkers(deps.js, deps.clock.now(), deps.settings.workerDisconnectTimeoutSec);
  const workers = aliveWorkersByTag(views);
  // Ask about every tag a live worker serves too, so an idle tag with no consumer yet still shows.
  const info = await deps.js.queue.tagInfo([...workers.keys()]);
  const rows = new Map<string, QueueStats>();
  for (const t of info) {
    const alive = workers.get(t.tag) ?? 0;
    rows.set(t.tag, { tag: t.tag, workers: alive, ...attributeUnacknowledged(t, alive), pulls_waiting: t.pullsWaiting });
  }
  for (const [tag, count] of workers) {
    if (!rows.has(tag)) rows.set(tag, { tag, workers: count, waiting: 0, unacknowledged: 0, pulls_waiting: 0 });
  }
  return [...rows.values()].sort((a, b) => a.tag.localeCompare(b.tag));
}

/** `GET /queues`; in api_key mode a key is required (like /workers). */
const QueueStatsSchema = Type.Object({
  tag: Type.String(), workers: Type.Integer({ description: "alive (RUNNING/IDLE) workers serving the tag" }),
  waiting: Type.Integer({ description: "runs queued, not yet delivered" }), unacknowledged: Type.Integer({ description: "delivered, not yet acknowledged" }),
  pulls_waiting: Type.Integer({ description: "parked pull requests of idle workers" }),
}, { additionalProperties: true, title: "QueueStats" });

export const queuesRoutes: RoutePlugin = (app, ctx) => {
  defineRoute(ctx, {
    method: "get", path: "/queues", summary: "Per-tag queue depth and the workers serving each tag", tags: ["workers"],
    responses: { 200: { description: "one row per tag, sorted", schema: Type.Object({ items: Type.Array(QueueStatsSchema) }) }, 503: { description: "nats unavailable: <reason>" } },
  });
  return app.get("/queues", async ({ request }) => {
    await ctx.authenticate(request);
    return ok({ items: await collectQueueStats(ctx.deps) });
  });
};
