/**
 * `GET /health` (http-contract.md §1.1): always 200 `{"status":"ok"}`, never touches NATS.
 * Additive fields: `index_ready` (the run index finished its replay) and `nats_connected`.
 */
import type { RoutePlugin } from "../route-context.ts";
import { ok } from "../http-errors.ts";

export const healthRoutes: RoutePlugin = (app, ctx) => {
  const { index, js } = ctx.deps;
  ctx.describe({
    method: "get", path: "/health", summary: "Liveness of the gateway", tags: ["health"],
    responses: {
      200: {
        description: "Always ok; the extra fields tell whether lists are complete and NATS is reachable",
        schema: {
          type: "object", required: ["status"],
          properties: { status: { type: "string", enum: ["ok"] }, index_ready: { type: "boolean" }, nats_connected: { type: "boolean" } },
        },
      },
    },
  });
  return app.get("/health", () => ok({ status: "ok", index_ready: index.isReady, nats_connected: js.connected }));
};
