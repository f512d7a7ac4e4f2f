/**
 * API keys (http-contract.md §4.2): `pyoco_<key_id>.<secret>`, stored as PBKDF2-HMAC-SHA256 with a
 * per-key salt and an optional pepper; the plaintext is never stored. Pure apart from randomness
 * and hashing (node:crypto), no I/O.
 */
import { pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";

export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
export const SECRET_PATTERN = /^[A-Za-z0-9_-]{16,256}$/;
export const TENANT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const KDF_ITERATIONS = 200_000;

export interface ApiKeyRecord {
  key_id: string;
  tenant_id: string;
  kdf: "pbkdf2_hmac_sha256";
  iterations: number;
  salt_b64: string;
  hash_b64: string;
  created_at: number;
  revoked_at: number | null;
}

const b64url = (buf: Buffer) => buf.toString("base64url");

/** KV key of a record in the auth bucket. */
export const apiKeyKvKey = (keyId: string) => `api_keys.${keyId}`;

export type ParsedKey = { ok: true; keyId: string; secret: string } | { ok: false; code: "missing" | "invalid_format" };

export function parseApiKey(presented: string | null | undefined): ParsedKey {
  const raw = (presented ?? "").trim();
  if (!raw) return { ok: false, code: "missing" };
  if (!raw.startsWith("pyoco_")) return { ok: false, code: "invalid_format" };
  const dot = raw.indexOf(".");
  if (dot < 0) return { ok: false, code: "invalid_format" };
  const keyId = raw.slice("pyoco_".length, dot);
  const secret = raw.slice(dot + 1);
  if (!KEY_ID_PATTERN.test(keyId) || !SECRET_PATTERN.test(secret)) return { ok: false, code: "invalid_format" };
  return { ok: true, keyId, secret };
}

function derive(secret: string, pepper: string | null, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(secret + (pepper ?? ""), "utf8"), salt, iterations, 32, "sha256");
}

/** A new key: the record to store and the plaintext to show once. */
export function generateApiKey(tenantId: string, pepper: string | null, now: number): { record: ApiKeyRecord; apiKey: string } {
  if (!TENANT_PATTERN.test(tenantId)) throw new Error(`invalid tenant id ${JSON.stringify(tenantId)}: expected [A-Za-z0-9_-]{1,64}`);
  const keyId = randomBytes(12).toString("hex");
  const secret = b64url(randomBytes(32));
  const salt = randomBytes(16);
  const record: ApiKeyRecord = {
    key_id: keyId, tenant_id: tenantId, kdf: "pbkdf2_hmac_sha256", iterations: KDF_ITERATIONS,
    salt_b64: b64url(salt), hash_b64: b64url(derive(secret, pepper, salt, KDF_ITERATIONS)), created_at: now, revoked_at: null,
  };
  return { record, apiKey: `pyoco_${keyId}.${secret}` };
}

/**
 * The same check as verifyApiKey, with the PBKDF2 run on the thread pool: a gateway under a
 * wrong-secret attack keeps its event loop (issue 10). Never rejects.
 */
export async function verifyApiKeyAsync(record: ApiKeyRecord, keyId: string, secret: string, pepper: string | null): Promise<boolean> {
  if (record.revoked_at != null || record.key_id !== keyId) return false;
  try {
    const expected = Buffer.from(record.hash_b64, "base64url");
    const actual = await new Promise<Buffer>((resolve, reject) => {
      pbkdf2(Buffer.from(secret + (pepper ?? ""), "utf8"), Buffer.from(record.salt_b64, "base64url"), record.iterations, 32, "sha256",
        (err, key) => (err ? reject(err) : resolve(key)));
    });
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  } catch { return false; }
}

/** Constant-time verification; revoked or mismatched records fail. */
export function verifyApiKey(record: ApiKeyRecord, keyId: string, secret: string, pepper: string | null): boolean {
  if (record.revoked_at != null || record.key_id !== keyId) return false;
  try {
    const expected = Buffer.from(record.hash_b64, "base64url");
    const actual = derive(secret, pepper, Buffer.from(record.salt_b64, "base64url"), record.iterations);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  } catch { return false; }
}
