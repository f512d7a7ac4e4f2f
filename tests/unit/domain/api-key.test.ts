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
