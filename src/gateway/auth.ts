/**
 * API-key authentication (http-contract.md §4): off unless PYOCO_HTTP_AUTH_MODE=api_key. The
 * header is PYOCO_HTTP_API_KEY_HEADER (default X-API-Key). Outcomes: 401 "api key required",
 * 403 "invalid api key", 503 on NATS errors. The record is read on every request (so a revoke
 * applies at once); only the PBKDF2 result (200,000 iterations) is remembered per stored hash.
 */
import { apiKeyKvKey, parseApiKey, verifyApiKey } from "../domain/api-key.ts";
import { PyocoError } from "../domain/errors.ts";
import type { GatewayDeps } from "./deps.ts";

export interface Principal { tenantId: string | null; apiKeyId: string | null }
export const ANONYMOUS: Principal = Object.freeze({ tenantId: null, apiKeyId: null });

/** An HTTP-status failure of authentication; rendered by the gateway's one error mapping. */
export class AuthError extends PyocoError {
  constructor(readonly status: 401 | 403, detail: string) { super("ERR-PYOCO-0002", detail); }
}

export function createAuthenticator(deps: Pick<GatewayDeps, "settings" | "js">) {
  const { settings } = deps;
  const enabled = settings.authMode === "api_key";
  const header = settings.apiKeyHeader.trim() || "X-API-Key";
  const pepper = settings.authPepper?.trim() ? settings.authPepper : null;
  /** presented key → the stored hash it was verified against. */
  const verified = new Map<string, string>();

  return {
    enabled,
    /** Resolve the caller, or throw AuthError / NatsUnavailableError. */
    async authenticate(request: Request): Promise<Principal> {
      if (!enabled) return ANONYMOUS;
      const presented = request.headers.get(header);
      const parsed = parseApiKey(presented);
      if (!parsed.ok) throw parsed.code === "missing" ? new AuthError(401, "api key required") : new AuthError(403, "invalid api key");
      const stored = await deps.js.apiKeys.get(apiKeyKvKey(parsed.keyId));
      const record = stored?.value;
      if (!record || record.revoked_at != null) throw new AuthError(403, "invalid api key");
      if (verified.get(presented!) !== record.hash_b64) {
        if (!verifyApiKey(record, parsed.keyId, parsed.secret, pepper)) throw new AuthError(403, "invalid api key");
        if (verified.size > 10_000) verified.clear();
        verified.set(presented!, record.hash_b64);
      }
      return { tenantId: record.tenant_id, apiKeyId: parsed.keyId };
    },
  };
}
export type Authenticator = ReturnType<typeof createAuthenticator>;
