/**
 * The dashboard (http-contract.md §1.2): `GET /` serves `static/index.html` with the language
 * token replaced by the resolved dashboard language (§6.4); `GET /static/*` serves the files of
 * `static/` unchanged (`/static/index.html` keeps the token, as in the original). No auth, no
 * CDN: everything comes from the repository or from the copy embedded in the binary.
 */
import { Type } from "@sinclair/typebox";
import type { RoutePlugin } from "../route-context.ts";
import { defineRoute } from "../schema.ts";
import { dashboardTemplate, staticAsset } from "../assets.ts";
import { HttpError, NOT_FOUND_DETAIL } from "../http-errors.ts";

/** The literal token in index.html that the server replaces with `ja` or `en`. */
export const LANG_TOKEN = "__PYOCO_DASHBOARD_LANG_VALUE__";

/** `index.html` with the language injected, or null when the template is missing. */
export async function renderDashboard(lang: "ja" | "en"): Promise<string | null> {
  const template = await dashboardTemplate();
  return template === null ? null : template.replaceAll(LANG_TOKEN, lang);
}

export const dashboardRoutes: RoutePlugin = (app, ctx) => {
  // Computed once when the app is created (§1.2); a failure to find it is answered per request.
  const page = renderDashboard(ctx.deps.dashboardLang);
  const html = { 200: { description: "HTML", contentType: "text/html", schema: Type.String() }, 404: { description: "not found" } };
  defineRoute(ctx, { method: "get", path: "/", summary: "The operator dashboard (ja/en)", tags: ["meta"], responses: html });
  defineRoute(ctx, {
    method: "get", path: "/static/{path}", summary: "Files of the dashboard and the API reference", tags: ["meta"], pathParams: { path: "file below static/" },
    responses: { 200: { description: "the file", contentType: "application/octet-stream", schema: Type.String({ format: "binary" }) }, 404: { description: "Not Found" } },
  });
  return app
    .get("/", async () => {
      const html = await page;
      if (html === null) throw new HttpError(404, "dashboard not found");
      return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
    })
    .get("/static/*", async ({ params }) => {
      const file = await staticAsset(params["*"] ?? "");
      if (!file) throw new HttpError(404, NOT_FOUND_DETAIL);
      return new Response(file, { headers: { "content-type": file.type || "application/octet-stream" } });
    });
};
