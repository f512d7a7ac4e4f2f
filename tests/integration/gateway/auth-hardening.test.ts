/**
 * Issue 10 item 6: API-key checks under attack. A wrong secret used to cost a 200,000-iteration
 * PBKDF2 on the event loop, uncached and unthrottled. Now: failures are throttled per key id and
 * per client address (429 + Retry-After, no hashing), keys already verified keep working, and a
 * revocation still applies within a second. The gateway's clock is a manual one, so time windows
 * are stepped, not waited for.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { apiKeyKvKey, generateApiKey, type ApiKeyRecord } from "../../../src/domain/api-key.ts";
import { FAILURE_LIMIT, FAILURE_WINDOW_SEC } from "../../../src/gateway/auth.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.ts";
import { waitFor } from "../../../src/lib/async.ts";

let nats: NatsServer;
let gw: TestGateway;
let now = 1_800_000_000;
const clock = { now: () => now };

beforeAll(async () => {
  nats = await startNatsServer();
  gw = await startTestGateway(nats.url, { authMode: "api_key" }, { clock });
});
afterAll(async () => { await gw?.stop(); await nats?.stop(); });

async function newKey(tenant: string): Promise<{ apiKey: string; keyId: string; record: ApiKeyRecord }> {
  const { record, apiKey } = generateApiKey(tenant, null, now);
  await gw.js.apiKeys.put(apiKeyKvKey(record.key_id), record);
  return { apiKey, keyId: record.key_id, record };
}
const wrong = (apiKey: string) => apiKey.slice(0, -4) + (apiKey.endsWith("AAAA") ? "BBBB" : "AAAA");
const list = (key: string) => gw.call("GET", "/runs", { headers: { "X-API-Key": key } });

describe("api-key checks under attack", () => {
  test("failures per key id are throttled with 429 + Retry-After; verified keys keep working", async () => {
    const victim = await newKey("t-victim");
    const other = await newKey("t-other");
    expect((await list(other.apiKey)).status).toBe(200);                 // verified before the attack

    for (let i = 0; i < FAILURE_LIMIT; i++) expect((await list(wrong(victim.apiKey))).status).toBe(403);
    const throttled = await list(wrong(victim.apiKey));
    expect(throttled.status).toBe(429);
    expect(throttled.json).toEqual({ detail: "too many failed api key attempts; retry later" });
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);

    now += 5;                                                            // past the fresh window: the record is read again
    expect((await list(other.apiKey)).status).toBe(200);                 // no PBKDF2 needed, so not throttled

    now += FAILURE_WINDOW_SEC;                                           // the window has passed
    expect((await list(victim.apiKey)).status).toBe(200);
  });

  test("failures per client address are throttled across key ids", async () => {
    now += FAILURE_WINDOW_SEC * 2;
    const keys = await Promise.all(Array.from({ length: FAILURE_LIMIT + 1 }, (_, i) => newKey(`t-addr${i}`)));
    for (const k of keys.slice(0, FAILURE_LIMIT)) expect((await list(wrong(k.apiKey))).status).toBe(403);
    expect((await list(wrong(keys[FAILURE_LIMIT]!.apiKey))).status).toBe(429);   // a fresh key id, same client
    now += FAILURE_WINDOW_SEC;
  });

  test("a revoked key is refused within a second, although verifications are cached", async () => {
    now += FAILURE_WINDOW_SEC * 2;
    const k = await newKey("t-revoke");
    expect((await list(k.apiKey)).status).toBe(200);
    await gw.js.apiKeys.put(apiKeyKvKey(k.keyId), { ...k.record, revoked_at: now });
    now += 1;
    expect((await list(k.apiKey)).status).toBe(403);
  });
});

describe("tenant isolation of live views (item 9)", () => {
  test("an SSE watch opened with a key closes within seconds after the key is revoked", async () => {
    now += FAILURE_WINDOW_SEC * 2;
    const k = await newKey("t-sse");
    const submitted = await gw.call("POST", "/runs", { json: { flow_name: "main" }, headers: { "X-API-Key": k.apiKey } });
    expect(submitted.status).toBe(200);
    const res = await fetch(`${gw.baseUrl}/runs/${submitted.json.run_id}/watch?timeout_sec=120`, { headers: { "X-API-Key": k.apiKey } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("event: snapshot");
    let ended = false;
    const drained = (async () => { while (!(await reader.read()).done); ended = true; })();

    await gw.js.apiKeys.put(apiKeyKvKey(k.keyId), { ...k.record, revoked_at: now });
    now += 1;
    await waitFor(() => ended, { timeoutMs: 5000, what: "the stream of a revoked key ends" });
    await drained;
  });

  test("/workers shows a tenant only its own run ids", async () => {
    const a = await newKey("t-wa");
    const b = await newKey("t-wb");
    const runOf = async (key: string) => (await gw.call("POST", "/runs", { json: { flow_name: "main" }, headers: { "X-API-Key": key } })).json.run_id;
    const runA = await runOf(a.apiKey);
    const runB = await runOf(b.apiKey);
    await waitFor(() => gw.deps.index.summary(runA) && gw.deps.index.summary(runB), { what: "runs indexed" });
    const t = now;
    await gw.js.workers.put("w-shared", {
      worker_id: "w-shared", instance_id: "i", state: "RUNNING", hidden: false, tags: ["default"], last_seen_at: t, last_heartbeat_at: t,
      heartbeat_at: t, current_run_id: runA, current_run_ids: [runA, runB], last_run_id: runB, last_run_status: "COMPLETED",
      last_run_started_at: t, last_run_finished_at: t, stopped_at: null, stop_reason: null, updated_at: t,
    } as any);
    const asA = (await gw.call("GET", "/workers", { headers: { "X-API-Key": a.apiKey } })).json[0];
    expect(asA).toMatchObject({ worker_id: "w-shared", current_run_id: runA, current_run_ids: [runA], last_run_id: null, last_run_status: null });
    const asB = (await gw.call("GET", "/workers", { headers: { "X-API-Key": b.apiKey } })).json[0];
    expect(asB).toMatchObject({ current_run_id: null, current_run_ids: [runB], last_run_id: runB, last_run_status: "COMPLETED" });
  });
});
