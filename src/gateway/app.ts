/**
 * `createApp(deps)` → the gateway's Elysia instance, with no listener (serve.ts listens; tests call
 * `app.handle(new Request("http://localhost/runs"))`).
 *
 * What every route gets, in one place:
 * - errors: throw `HttpError`, `RequestValidationError`, `NatsUnavailableError`, …; http-errors.ts
 *   maps them (unknown path → 404 {"detail":"Not Found"}, known path with another method → 405);
 * - auth: `ctx.authenticate(request)` after validation (FastAPI validates first, §0.1), returning
 *   the caller or null when auth is off;
 * - OpenAPI: `ctx.describe({...})` adds the route to `GET /openapi.json`.
 *
 * ── Registering more routes (live-ops: watch/SSE, workers, metrics, queues, dashboard, …) ──
 * Write a `RoutePlugin` — `(app, ctx) => app.get(...).post(...)` — and add it to EXTRA_ROUTES
 * below (one line). startGateway() and tests/helpers/gateway.ts register EXTRA_ROUTES; a test
 * may pass its own list as `createApp(deps, [myRoutes])`.
 *
 * ── Authentication ──
 * PYOCO_HTTP_AUTH_MODE=api_key switches on the API-key check of auth.ts for every route that
 * calls `ctx.authenticate(request)`; tests may pass their own `{ authenticate }` option.
 */
import { Elysia } from "elysia";
import { createAuthenticator } from "./auth.ts";
import { limitRequestBody } from "./body-limit.ts";
import { peerAddress, rememberPeer } from "./peer.ts";
import type { GatewayDeps } from "./deps.ts";
import { countRequests } from "./http-metrics.ts";
import { errorResponse, HttpError, jsonResponse, METHOD_NOT_ALLOWED_DETAIL, NOT_FOUND_DETAIL } from "./http-errors.ts";
import type { Authenticator, Caller, GatewayApp, RouteContext, RoutePlugin } from "./route-context.ts";
import { healthRoutes } from "./routes/health.ts";
import { openApiRoutes, type RouteDoc } from "./routes/openapi.ts";
import { apiDocsRoutes } from "./routes/api-docs.ts";
import { runRoutes } from "./routes/runs.ts";
import { scheduleRoutes } from "./routes/schedules.ts";
import { dashboardRoutes } from "./routes/dashboard.ts";
import { dlqRoutes } from "./routes/dlq.ts";
import { logsRoutes } from "./routes/logs.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { queuesRoutes } from "./routes/queues.ts";
import { watchRoutes } from "./routes/watch.ts";
import { workersRoutes } from "./routes/workers.ts";
import { wheelRoutes } from "./routes/wheels.ts";

export type { Authenticator, Caller, GatewayApp, RouteContext, RoutePlugin } from "./route-context.ts";
export { visibleTo } from "./route-context.ts";

/**
 * Route plugins of other areas, registered after the core routes (health, runs) and before
 * /openapi.json. ADD YOUR PLUGIN HERE (one line each).
 */
export const EXTRA_ROUTES: RoutePlugin[] = [
  metricsRoutes, watchRoutes, workersRoutes, queuesRoutes, dashboardRoutes,   // live operations (issue 5)
  dlqRoutes,   // DLQ list/groups/show/requeue/delete (issue 11)
  logsRoutes,   // task logs: GET /runs/{id}/logs and /logs/watch (issue 11)
  wheelRoutes,   // wheel registry: list/upload/download/delete/history (issue 9)
  scheduleRoutes,                                                              // YAML schedules (issue 12)
  apiDocsRoutes,   // GET /docs: the API reference rendered from /openapi.json (issue 13)
];

export interface AppOptions {
  /** Overrides the API-key check of auth.ts (tests). */
  authenticate?: Authenticator;
}

/** The caller check: auth.ts when PYOCO_HTTP_AUTH_MODE=api_key, else "auth off" (null). */
function callerCheck(deps: GatewayDeps, override?: Authenticator): (request: Request) => Promise<Caller | null> {
  if (override) return override;
  const auth = createAuthenticator(deps);
  if (!auth.enabled) return async () => null;
  return (request) => auth.authenticate(request);
}

export function createApp(deps: GatewayDeps, extraRoutes: RoutePlugin[] = EXTRA_ROUTES, options: AppOptions = {}): GatewayApp {
  const docs: RouteDoc[] = [];
  const ctx: RouteContext = { deps, authenticate: callerCheck(deps, options.authenticate), describe: (doc) => { docs.push(doc); } };

  let methodsByPath: ((path: string) => string[]) | undefined;
  // countRequests: the one global request-counting hook (pyoco_http_requests_total); it must be
  // registered before any route, because Elysia hooks only apply to routes added after them.
  let app: GatewayApp = countRequests(new Elysia()).onError({ as: "global" }, ({ code, error, request }) => {
    if (code === "NOT_FOUND") {
      methodsByPath ??= routeMatcher(app);
      const path = new URL(request.url).pathname;
      const allowed = methodsByPath(path).filter((m) => m !== request.method);
      if (allowed.length && !methodsByPath(path).includes(request.method)) {
        return errorResponse(new HttpError(405, METHOD_NOT_ALLOWED_DETAIL, { allow: allowed.join(", ") }), deps.log, request);
      }
      return jsonResponse(404, { detail: NOT_FOUND_DETAIL });
    }
    if (code === "PARSE") return jsonResponse(400, { detail: "There was an error parsing the body" });
    return errorResponse(error, deps.log, request);
  });

  for (const plugin of [healthRoutes, runRoutes, ...extraRoutes, openApiRoutes(() => docs)]) app = plugin(app, ctx);
  return withRequestGuards(app, deps);
}

/** For each path, the HTTP methods that have a route (to tell 405 from 404). */
function routeMatcher(app: GatewayApp): (path: string) => string[] {
  const routes = app.routes.map((r) => ({
    method: r.method.toUpperCase(),
    re: new RegExp("^" + r.path.split("/").map((seg) => seg.startsWith(":") ? "[^/]+" : seg === "*" ? ".*" : escapeRe(seg)).join("/") + "$"),
  }));
  return (path) => [...new Set(routes.filter((r) => r.re.test(path)).map((r) => r.method))];
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * What every request goes through before routing:
 * - a path with malformed percent-encoding (`/runs/%ff`, `/runs/%`) is decoded leniently, as
 *   Starlette does (bad bytes become U+FFFD), so the route sees an id that simply does not exist
 *   (404) instead of a decoding failure (500);
 * - the body limit PYOCO_HTTP_MAX_BODY_BYTES (body-limit.ts) → 413;
 * - Elysia finds the path by searching "/" from character 11 of the URL, so a test request to
 *   "http://x/runs" would never match a route. Such URLs are rewritten to "http://localhost/…".
 */
function withRequestGuards(app: GatewayApp, deps: GatewayDeps): GatewayApp {
  const handle = app.handle;
  app.handle = (request: Request) => {
    let url = new URL(request.url);
    const path = wellFormedPath(url.pathname);
    if (path !== url.pathname || url.origin.length < 11) {
      url = new URL(path + url.search, url.origin.length < 11 ? "http://localhost" : url.origin);
      request = keepPeer(request, new Request(url, request));
    }
    const limited = limitRequestBody(request, url.pathname, deps.settings.httpMaxBodyBytes);
    if (limited instanceof Error) return Promise.resolve(errorResponse(limited, deps.log, request));
    return handle(keepPeer(request, limited));
  };
  return app;
}

/** A rewritten request keeps the socket peer serve.ts recorded for the original (auth throttling, wheel history). */
function keepPeer(original: Request, next: Request): Request {
  if (next !== original) rememberPeer(next, peerAddress(original) ?? undefined);
  return next;
}

/** The path with every segment that does not percent-decode as UTF-8 re-encoded from its lenient decoding. */
export function wellFormedPath(pathname: string): string {
  if (!pathname.includes("%")) return pathname;
  return pathname.split("/").map((seg) => {
    try { decodeURIComponent(seg); return seg; } catch { return encodeURIComponent(lenientDecode(seg)); }
  }).join("/");
}

function lenientDecode(segment: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    const hex = segment.slice(i + 1, i + 3);
    if (segment[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(hex)) { bytes.push(parseInt(hex, 16)); i += 2; }
    else bytes.push(...new TextEncoder().encode(segment[i]!));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));   // invalid UTF-8 → U+FFFD
}
