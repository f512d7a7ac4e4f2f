/** `pyoco admin api-key …` against a real nats-server: create shows the key once, list hides secrets, revoke. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { run } from "../../../src/cli/index.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { captureIo } from "../../helpers/cli.ts";

let nats: NatsServer;
beforeAll(async () => { nats = await startNatsServer(); });
afterAll(async () => { await nats.stop(); });

test("create, list and revoke an API key", async () => {
  const env = { PYOCO_NATS_URL: nats.url, PYOCO_LOAD_DOTENV: "0" };
  const created = captureIo(env);
  expect(await run(["admin", "api-key", "create", "--tenant", "team-a"], created)).toBe(0);
  const key = JSON.parse(created.out);
  expect(key.api_key).toMatch(/^pyoco_[0-9a-f]{24}\.[A-Za-z0-9_-]{43}$/);
  expect(created.out).toContain('", "');   // Python's default separators

  const listed = captureIo(env);
  expect(await run(["admin", "--nats-url", nats.url, "api-key", "list"], listed)).toBe(0);
  expect(JSON.parse(listed.out)).toEqual([{ key_id: key.key_id, tenant_id: "team-a", created_at: key.created_at, revoked_at: null }]);
  expect(listed.out).not.toContain(key.api_key.split(".")[1]);

  const revoked = captureIo(env);
  expect(await run(["admin", "api-key", "revoke", "--key-id", key.key_id], revoked)).toBe(0);
  expect(JSON.parse(revoked.out).revoked_at).toBeGreaterThan(0);

  const unknown = captureIo(env);
  expect(await run(["admin", "api-key", "revoke", "--key-id", "nosuchkey0"], unknown)).toBe(2);
  expect(JSON.parse(unknown.out)).toEqual({ error: "not_found", key_id: "nosuchkey0" });
});

test("usage errors exit 2 with argparse-style text", async () => {
  const io = captureIo({ PYOCO_NATS_URL: nats.url });
  expect(await run(["admin", "api-key", "create"], io)).toBe(2);
  expect(io.err).toContain("error: the following arguments are required: --tenant");
  const io2 = captureIo({ PYOCO_NATS_URL: nats.url });
  expect(await run(["admin", "api-key", "create", "--tenant", "bad tenant"], io2)).toBe(2);
  expect(io2.err).toContain("invalid tenant id");
});
