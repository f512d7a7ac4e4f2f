/**
 * `GET /docs`: the API reference page, rendered in the browser from `GET /openapi.json` by
 * `static/api-docs.js`. Served from the binary like the dashboard (no CDN); no auth, like
 * /openapi.json itself, since it contains only the description of the routes.
 */
import { Type } from "@sinclair/typebox";
import type { RoutePlugin } from "../route-context.ts";
import { defineRoute } from "../schema.ts";
import { staticAsset } from "../assets.ts";
import { HttpError } from "../http-errors.ts";

export const apiDocsRoutes: RoutePlugin = (app, ctx) => {
  defineRoute(ctx, {
    method: "get", path: "/docs", summary: "API reference (HTML, rendered from /openapi.json)", tags: ["meta"],
    responses: { 200: { description: "the reference page", contentType: "text/html", schema: Type.String() } },
  });
  const page = async () => {
    const file = await staticAsset("api-docs.html");
    if (!file) throw new HttpError(404, "api docs not found");
    return new Response(file, { headers: { "content-type": "text/html; charset=utf-8" } });
  };
  return app.get("/docs", page);
};
