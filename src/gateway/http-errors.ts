/**
 * The ONE error → HTTP response mapping of the gateway (http-contract.md §0.1–§0.2).
 *
 *   HttpError(status, detail)      → status  {"detail": detail}        (handler errors, fixed strings)
 *   AuthError (auth.ts)            → 401/403 {"detail": "api key required" | "invalid api key"}, 429 (+ Retry-After) when throttled
 *   RequestValidationError(issues) → 422     {"detail": [issue, …]}    (FastAPI/pydantic list form)
 *   NatsUnavailableError           → 503     {"detail": "nats unavailable: <reason>"}
 *   RevisionConflictError          → 409     (a compare-and-set lost every retry; the client may retry)
 *   BodyTooLargeError              → 413     {"detail": "request body too large"} (PYOCO_HTTP_MAX_BODY_BYTES)
 *   anything else                  → 500     {"detail": "Internal Server Error"} (logged with its stack)
 *
 * Every route and every route plugin throws; nobody builds error responses by hand.
 */
import { toClientJson } from "../domain/json.ts";
import { NatsUnavailableError, PyocoError, RevisionConflictError } from "../domain/errors.ts";
import type { Logger } from "../lib/log.ts";
import { AuthError } from "./auth.ts";
import { BODY_TOO_LARGE_DETAIL, BodyTooLargeError } from "./body-limit.ts";
import { RequestValidationError } from "./validation.ts";

/** A handler error with a fixed `detail` string, e.g. `new HttpError(404, "run not found")`. */
export class HttpError extends Error {
  /** Additive fields sent next to `detail` (e.g. the `errors` of a refused flow.yaml); `detail` stays the fixed string clients compare. */
  extra?: Record<string, unknown>;
  constructor(readonly status: number, readonly detail: string, readonly headers?: Record<string, string>) {
    super(detail);
    this.name = "HttpError";
  }
}

const JSON_TYPE = "application/json";

/**
 * A JSON response. FastAPI's default encoding: compact, non-ASCII kept as UTF-8. Non-finite
 * numbers (from snapshots Python wrote) become null plus a `non_finite` marker (domain/json.ts).
 */
export function jsonResponse(status: number, body: unknown, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(toClientJson(body)), { status, headers: { "content-type": JSON_TYPE, ...headers } });
}

/** 200 with a JSON body. */
export function ok(body: unknown): Response {
  return jsonResponse(200, body);
}

export const NOT_FOUND_DETAIL = "Not Found";
export const METHOD_NOT_ALLOWED_DETAIL = "Method Not Allowed";

/** The status an error thrown by a route is answered with (also used to count requests in metrics). */
export function statusOf(err: unknown): number {
  if (err instanceof HttpError || err instanceof AuthError) return err.status;
  if (err instanceof RequestValidationError) return 422;
  if (err instanceof NatsUnavailableError) return 503;
  if (err instanceof RevisionConflictError) return 409;
  if (err instanceof BodyTooLargeError) return 413;
  return 500;
}

/** Translate any error thrown by a route into the response the contract prescribes. */
export function errorResponse(err: unknown, log: Logger, request?: Request): Response {
  const status = statusOf(err);
  if (err instanceof HttpError) return jsonResponse(status, { detail: err.detail, ...err.extra }, err.headers);
  if (err instanceof RequestValidationError) return jsonResponse(status, { detail: err.issues });
  if (err instanceof AuthError) {
    return jsonResponse(status, { detail: err.message }, err.retryAfterSec ? { "retry-after": String(err.retryAfterSec) } : undefined);
  }
  if (err instanceof BodyTooLargeError) return jsonResponse(status, { detail: BODY_TOO_LARGE_DETAIL, max_bytes: err.limit });
  const path = request ? new URL(request.url).pathname : undefined;
  if (err instanceof NatsUnavailableError) {
    log.error("nats unavailable", { err_id: "ERR-PYOCO-0003", msg_id: "MSG-PYOCO-0003", path, reason: err.reason });
    return jsonResponse(status, { detail: err.message });
  }
  if (err instanceof RevisionConflictError) {
    log.warn("revision conflict persisted", { path, key: err.key });
    return jsonResponse(status, { detail: `concurrent update of ${err.key}; retry the request` });
  }
  log.error("unhandled error in request", { path, err: err instanceof Error ? err : new Error(String(err)), code: err instanceof PyocoError ? err.code : undefined });
  return jsonResponse(status, { detail: "Internal Server Error" });
}
