/** API keys: round trip with a pepper, wrong pepper, revoked, parse errors, bad tenant. */
import { expect, test } from "bun:test";
import { generateApiKey, parseApiKey, verifyApiKey } from "../../../src/domain/api-key.ts";

test("a generated key verifies with the same pepper and fails with another", () => {
  const { record, apiKey } = generateApiKey("team-a", "pep", 1);
  const parsed = parseApiKey(apiKey);
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  expect(parsed.keyId).toMatch(/^[0-9a-f]{24}$/);
  expect(verifyApiKey(record, parsed.keyId, parsed.secret, "pep")).toBe(true);
  expect(verifyApiKey(record, parsed.keyId, parsed.secret, "other")).toBe(false);
  expect(verifyApiKey({ ...record, revoked_at: 2 }, parsed.keyId, parsed.secret, "pep")).toBe(false);
  expect(JSON.stringify(record)).not.toContain(parsed.secret);
});

test("parse errors: empty is missing; malformed keys are invalid_format", () => {
  expect(parseApiKey("")).toEqual({ ok: false, code: "missing" });
  expect(parseApiKey("nope")).toEqual({ ok: false, code: "invalid_format" });
  expect(parseApiKey("pyoco_abc.def")).toEqual({ ok: false, code: "invalid_format" });
});

test("a bad tenant id is rejected", () => {
  expect(() => generateApiKey("bad tenant", null, 1)).toThrow(/invalid tenant id/);
});

// issue 10 item 6: the PBKDF2 of a verification runs off the event loop.
import { verifyApiKeyAsync } from "../../../src/domain/api-key.ts";
import { FailureThrottle } from "../../../src/domain/failure-throttle.ts";

test("verifyApiKeyAsync lets the event loop run while it hashes, and agrees with verifyApiKey", async () => {
  const { record, apiKey } = generateApiKey("t1", "pep", 1);
  const parsed = parseApiKey(apiKey);
  if (!parsed.ok) throw new Error("bad key");
  let loopRan = false;
  setImmediate(() => { loopRan = true; });
  const good = verifyApiKeyAsync(record, parsed.keyId, parsed.secret, "pep");
  const loopRanBeforeResult = await good.then((v) => { expect(v).toBe(true); return loopRan; });
  expect(loopRanBeforeResult).toBe(true);
  expect(await verifyApiKeyAsync(record, parsed.keyId, parsed.secret + "x", "pep")).toBe(false);
  expect(await verifyApiKeyAsync({ ...record, revoked_at: 2 }, parsed.keyId, parsed.secret, "pep")).toBe(false);
  expect(verifyApiKey(record, parsed.keyId, parsed.secret, "pep")).toBe(true);
});

test("FailureThrottle: limit per subject inside a sliding window", () => {
  const t = new FailureThrottle({ limit: 3, windowSec: 10 });
  for (let i = 0; i < 3; i++) { expect(t.retryAfter("a", 100 + i)).toBe(0); t.fail("a", 100 + i); }
  expect(t.retryAfter("a", 103)).toBe(7);
  expect(t.retryAfter("b", 103)).toBe(0);
  expect(t.retryAfter("a", 110)).toBe(0);   // the first failure aged out
  const small = new FailureThrottle({ limit: 1, windowSec: 10, maxSubjects: 2 });
  small.fail("x", 1); small.fail("y", 1); small.fail("z", 1);
  expect(small.retryAfter("x", 2)).toBe(0);  // forgotten (bounded memory)
  expect(small.retryAfter("z", 2)).toBe(9);
});
