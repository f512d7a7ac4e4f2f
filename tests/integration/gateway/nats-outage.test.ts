/**
 * A NATS outage seen through a listening gateway: reads and submits answer 503 at once (no
 * crash, no hang), /health stays 200, and after NATS comes back on the same port and store the
 * same gateway answers 200 again and its run index catches up with writes made meanwhile.
 */
import { describe, expect, test } from "bun:test";
import { PyocoJetStream } from "../../../src/jetstream/index.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { gatewayForFile } from "../../helpers/gateway.ts";
import { testSettings } from "../../helpers/settings.ts";

const file = gatewayForFile();

async function get(path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const res = await fetch(file.gw.baseUrl + path, init);
  return { status: res.status, body: await res.json() };
}

describe("NATS outage", () => {
  test("503 while NATS is down, 200 again after it returns, without restarting the gateway", async () => {
    const submit = () => get("/runs", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ flow_name: "main" }) });
    const before = await submit();
    expect(before.status).toBe(200);
    const id = (before.body as { run_id: string }).run_id;

    await file.nats.kill();
    await waitFor(() => !file.gw.js.connected, { timeoutMs: 5000, what: "the gateway to notice the outage" });
    for (const [path, init] of [["/runs", undefined], ["/runs?updated_after=0", undefined], [`/runs/${id}`, undefined], [`/runs/${id}/tasks`, undefined],
      [`/runs/${id}/cancel`, { method: "POST" }],
      ["/dlq", undefined], ["/dlq/groups", undefined], ["/dlq/1", undefined], ["/dlq/1/requeue", { method: "POST" }], ["/dlq/1", { method: "DELETE" }],
      ["/dlq/groups/0123456789abcdef/requeue", { method: "POST" }], [`/runs/${id}/logs`, undefined], [`/runs/${id}/logs/watch`, undefined]] as const) {
      const r = await get(path, init);
      expect([path, r.status]).toEqual([path, 503]);
      expect((r.body as { detail: string }).detail).toStartWith("nats unavailable: ");
    }
    expect((await submit()).status).toBe(503);
    expect(await get("/health")).toEqual({ status: 200, body: { status: "ok", index_ready: true, nats_connected: false } });

    await file.nats.start();
    await waitFor(async () => (await get("/runs")).status === 200, { timeoutMs: 15_000, what: "lists to answer 200 again" });
    expect((await get(`/runs/${id}`)).status).toBe(200);

    // The index resumed its watch: a write by someone else shows up in the list.
    const other = await PyocoJetStream.connect(testSettings(file.nats.url), { name: "outage-writer", log: silentLogger });
    try {
      const late = crypto.randomUUID();
      await other.runs.put(late, { run_id: late, flow_name: "late", status: "PENDING", updated_at: Date.now() / 1000 });
      await waitFor(async () => ((await get("/runs?flow=late")).body as unknown[]).length === 1, { timeoutMs: 5000, what: "the index to catch up" });
    } finally { await other.close(); }
    expect((await submit()).status).toBe(200);
  });
});
