/**
 * API-key authentication (http-contract.md §4): off unless PYOCO_HTTP_AUTH_MODE=api_key. The
 * header is PYOCO_HTTP_API_KEY_HEADER (default X-API-Key). Outcomes: 401 "api key required",
 * 403 "invalid api key", 429 when failures are throttled, 503 on NATS errors.
 *
 * Cost control (issue 10 item 6): the PBKDF2 check (200,000 iterations) runs on the thread pool,
 * never on the event loop. A successful verification is remembered: for VERIFIED_FRESH_SEC it
 * is trusted without reading NATS (so a revocation applies within that time, well under a second);
 * after that the record is read again and only a changed hash costs a new PBKDF2. Failures are
 * counted per key id and per client address; past FAILURE_LIMIT in FAILURE_WINDOW_SEC further
 * attempts that would need a PBKDF2 answer 429 with Retry-After, without hashing. Keys already
 * verified keep working during such an attack.
 */
import { apiKeyKvKey, parseApiKey, verifyApiKeyAsync } from "../domain/api-key.ts";
import { PyocoError } from "../domain/errors.ts";
import { FailureThrottle } from "../domain/failure-throttle.ts";
import { systemClock } from "../lib/clock.ts";
import type { GatewayDeps } from "./deps.ts";
import { peerAddress } from "./peer.ts";

export interface Principal { tenantId: string | null; apiKeyId: string | null }
export const ANONYMOUS: Principal = Object.freeze({ tenantId: null, apiKeyId: null });

/** How long a successful verification is trusted without reading the key record again. */
export const VERIFIED_FRESH_SEC = 0.5;
/** Failures allowed per key id and per client address within the window before 429. */
export const FAILURE_LIMIT = 5;
export const FAILURE_WINDOW_SEC = 30;
const MAX_REMEMBERED_KEYS = 10_000;

export const THROTTLED_DETAIL = "too many failed api key attempts; retry later";

/** An HTTP-status failure of authentication; rendered by the gateway's one error mapping. */
export class AuthError extends PyocoError {
  constructor(readonly status: 401 | 403 | 429, detail: string, readonly retryAfterSec?: number) {
    super(status === 429 ? "ERR-PYOCO-0041" : "ERR-PYOCO-0002", detail);
  }
}

interface Verified { principal: Principal; hash: string; checkedAt: number }

export function createAuthenticator(deps: Pick<GatewayDeps, "settings" | "js"> & { clock?: GatewayDeps["clock"] }) {
  const { settings } = deps;
  const clock = deps.clock ?? systemClock;
  const enabled = settings.authMode === "api_key";
  const header = settings.apiKeyHeader.trim() || "X-API-Key";
  const pepper = settings.authPepper?.trim() ? settings.authPepper : null;
  /** presented key → what it was verified as, and when the record was last read. */
  const verified = new Map<string, Verified>();
  const throttle = new FailureThrottle({ limit: FAILURE_LIMIT, windowSec: FAILURE_WINDOW_SEC });

  const invalid = () => new AuthError(403, "invalid api key");

  async function authenticate(request: Request): Promise<Principal> {
    if (!enabled) return ANONYMOUS;
    const presented = request.headers.get(header);
    const parsed = parseApiKey(presented);
    if (!parsed.ok) throw parsed.code === "missing" ? new AuthError(401, "api key required") : invalid();
    const now = clock.now();
    const known = verified.get(presented!);
    if (known && now - known.checkedAt < VERIFIED_FRESH_SEC) return known.principal;

    const stored = await deps.js.apiKeys.get(apiKeyKvKey(parsed.keyId));
    const record = stored?.value;
    if (!record || record.revoked_at != null) {
      verified.delete(presented!);
      throw invalid();
    }
    const principal: Principal = { tenantId: record.tenant_id, apiKeyId: parsed.keyId };
    if (known && known.hash === record.hash_b64) {
      verified.set(presented!, { principal, hash: record.hash_b64, checkedAt: now });
      return principal;
    }

    // A PBKDF2 is needed: refuse it while this key id or this client keeps failing.
    const subjects = [`key:${parsed.keyId}`, `addr:${peerAddress(request) ?? "local"}`];
    const wait = Math.max(...subjects.map((s) => throttle.retryAfter(s, now)));
    if (wait > 0) throw new AuthError(429, THROTTLED_DETAIL, Math.ceil(wait));
    if (!(await verifyApiKeyAsync(record, parsed.keyId, parsed.secret, pepper))) {
      for (const s of subjects) throttle.fail(s, now);
      throw invalid();
    }
    if (verified.size >= MAX_REMEMBERED_KEYS) verified.delete(verified.keys().next().value!);
    verified.set(presented!, { principal, hash: record.hash_b64, checkedAt: now });
    return principal;
  }

  return { enabled, authenticate };
}
export type Authenticator = ReturnType<typeof createAuthenticator>;
