/**
 * The HTTP gateway (`pyoco up`): an Elysia app over the shared JetStream module. May import lib,
 * domain, config, jetstream; never worker, runner or client.
 *
 *   const gw = await startGateway({ settings, log, host: "127.0.0.1", port: 8000 });
 *   await fetch(`${gw.url}/runs`, { method: "POST", body: JSON.stringify({ flow_name: "main" }) });
 *   await gw.stop();
 *
 * Tests without a port: `createApp(deps).handle(new Request("http://localhost/health"))`.
 */
export { createApp, EXTRA_ROUTES, visibleTo, type AppOptions } from "./app.ts";
export type { Authenticator, Caller, GatewayApp, RouteContext, RoutePlugin } from "./route-context.ts";
export { startGateway, type RunningGateway, type StartGatewayOptions } from "./serve.ts";
export { createRunIndex, type RunIndex, type RunChange, type ListQuery, type ListPage } from "./run-index.ts";
export { submitRun, type SubmitInput, type SubmitResult } from "./submit.ts";
export { HttpError, errorResponse, jsonResponse } from "./http-errors.ts";
export { RequestValidationError, type ValidationIssue } from "./validation.ts";
export { encodeCursor, decodeCursor } from "./list-cursor.ts";
export { buildOpenApi, OPENAPI_TITLE, type RouteDoc } from "./routes/openapi.ts";
export type { GatewayDeps } from "./deps.ts";
