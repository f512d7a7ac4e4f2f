/**
 * What a route plugin is given (see app.ts for how plugins are registered): the deps, the caller
 * check and the OpenAPI registry. Kept apart from app.ts so routes can import `visibleTo`
 * without an import cycle (app.ts imports the routes).
 */
import type { AnyElysia } from "elysia";
import { AuthError } from "./auth.ts";
import type { GatewayDeps } from "./deps.ts";
import type { RouteDoc } from "./routes/openapi.ts";

export type GatewayApp = AnyElysia;

/** Who is calling. `authenticate` returns null when auth is off (no tenant scoping). */
export interface Caller {
  tenantId: string | null;
  apiKeyId: string | null;
}

/** Checks a request's API key; throws (401/403 via http-errors.ts) or NatsUnavailableError (503). */
export type Authenticator = (request: Request) => Promise<Caller>;

export interface RouteContext {
  readonly deps: GatewayDeps;
  /** The caller, or null when auth is off. Call it after validating the request (FastAPI order). */
  authenticate(request: Request): Promise<Caller | null>;
  /** Add a route to the OpenAPI document served at /openapi.json. */
  describe(doc: RouteDoc): void;
}

/** Registers routes on the app and returns it: `(app, ctx) => app.get(...).post(...)`. */
export type RoutePlugin = (app: GatewayApp, ctx: RouteContext) => GatewayApp;

/** True when a snapshot may be shown to `caller` (http-contract.md §3.2: other tenants' runs look like 404). */
export function visibleTo(snapshot: { tenant_id?: unknown }, caller: Caller | null): boolean {
  return caller === null || (snapshot.tenant_id ?? null) === caller.tenantId;
}

/**
 * For long-lived answers (SSE): a re-check of the request's API key that says false once the key
 * is revoked or refused, and true on other failures (a NATS outage is not a revocation).
 * Undefined when auth is off.
 */
export function keyRecheck(ctx: RouteContext, request: Request, caller: Caller | null): (() => Promise<boolean>) | undefined {
  if (caller === null) return undefined;
  return async () => {
    try { await ctx.authenticate(request); return true; } catch (err) { return !(err instanceof AuthError); }
  };
}
