/**
 * `GET /health` (http-contract.md §1.1): always 200 `{"status":"ok"}`, never touches NATS (liveness;
 * kept as the original had it). Additive fields: `index_ready` (the run index finished its replay)
 * and `nats_connected`.
 *
 * `GET /health/ready` (readiness, for load balancers): 200 `{"status":"ready", …}` when the gateway
 * can serve data calls, else 503 `{"status":"not_ready", "detail": "<why>", …}` — NATS
 * disconnected or the run index still replaying.
 */
import { Type } from "@sinclair/typebox";
import type { RoutePlugin } from "../route-context.ts";
import { defineRoute } from "../schema.ts";
import { jsonResponse, ok } from "../http-errors.ts";

const Ready = Type.Object({
  status: Type.Union([Type.Literal("ready"), Type.Literal("not_ready")]), detail: Type.Optional(Type.String()),
  index_ready: Type.Boolean(), nats_connected: Type.Boolean(),
}, { title: "Readiness" });

const Liveness = Type.Object({
  status: Type.Literal("ok"), index_ready: Type.Optional(Type.Boolean()), nats_connected: Type.Optional(Type.Boolean()),
}, { title: "Liveness" });

export const healthRoutes: RoutePlugin = (app, ctx) => {
  const { index, js } = ctx.deps;
  defineRoute(ctx, {
    method: "get", path: "/health", summary: "Liveness of the gateway", tags: ["health"],
    responses: { 200: { description: "Always ok; the extra fields tell whether lists are complete and NATS is reachable", schema: Liveness } },
  });
  defineRoute(ctx, {
    method: "get", path: "/health/ready", summary: "Readiness of the gateway (for load balancers)", tags: ["health"],
    responses: {
      200: { description: "NATS connected and the run index ready", schema: Ready },
      503: { description: "not ready: detail says why (nats disconnected | run index not ready)", schema: Ready },
    },
  });
  return app
    .get("/health", () => ok({ status: "ok", index_ready: index.isReady, nats_connected: js.connected }))
    .get("/health/ready", () => {
      const state = { index_ready: index.isReady, nats_connected: js.connected };
      if (!state.nats_connected) return jsonResponse(503, { status: "not_ready", detail: "nats disconnected", ...state });
      if (!state.index_ready) return jsonResponse(503, { status: "not_ready", detail: "run index not ready", ...state });
      return ok({ status: "ready", ...state });
    });
};
