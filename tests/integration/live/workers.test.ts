/**
 * GET /workers, PATCH /workers/{id} and GET /queues against a real nats-server and gateway.
 * Registry records are written directly as workers write them; a stale one must show as
 * DISCONNECTED. Jobs published to a tag nobody serves must show as waiting with 0 workers.
 */
import { describe, expect, test } from "bun:test";
import { buildRunJob } from "../../../src/domain/job.ts";
import { gatewayForFile } from "../../helpers/gateway.ts";

const file = gatewayForFile();

const get = async (path: string) => { const r = await fetch(file.gw.baseUrl + path); return { status: r.status, body: await r.json() as any }; };
const patch = async (path: string, body: string) => {
  const r = await fetch(file.gw.baseUrl + path, { method: "PATCH", body, headers: { "content-type": "application/json" } });
  return { status: r.status, body: await r.json() as any };
};
const ids = (rows: { worker_id: string }[]) => rows.map((r) => r.worker_id);

function record(id: string, state: string, lastSeenAgoSec: number, extra: Record<string, unknown> = {}) {
  const t = Date.now() / 1000 - lastSeenAgoSec;
  return {
    worker_id: id, instance_id: `${id}-i`, state, hidden: false, tags: ["cpu"], last_seen_at: t, last_heartbeat_at: t, heartbeat_at: t,
    current_run_id: null, last_run_id: null, last_run_status: null, last_run_started_at: null, last_run_finished_at: null,
    stopped_at: null, stop_reason: null, updated_at: t, wheel_sync: { enabled: false, last_result: "disabled" }, ...extra,
  };
}

describe("workers", () => {
  test("an empty registry lists as [] and queues as no items", async () => {
    expect(await get("/workers")).toEqual({ status: 200, body: [] });
    expect(await get("/queues")).toEqual({ status: 200, body: { items: [] } });
  });

  test("every derived state, each filter and the sort order", async () => {
    await file.gw.js.workers.put("w-running", record("w-running", "RUNNING", 1, { current_run_id: "r1", tags: ["cpu", "gpu"] }) as any);
    await file.gw.js.workers.put("w-idle", record("w-idle", "IDLE", 2) as any);
    await file.gw.js.workers.put("w-stopped", record("w-stopped", "STOPPED_GRACEFUL", 3, { stop_reason: "graceful_shutdown" }) as any);
    await file.gw.js.workers.put("w-stale", record("w-stale", "IDLE", 120) as any);          // silent > 20 s
    await file.gw.js.workers.put("w-hidden", record("w-hidden", "IDLE", 0.5, { hidden: true }) as any);
    const legacyTs = Date.now() / 1000 - 4;
    await file.gw.js.workers.put("w-legacy", { heartbeat_at: legacyTs, tags: ["cpu", " "] } as any);   // v0.4 record

    const active = await get("/workers");
    expect(active.status).toBe(200);
    expect(ids(active.body)).toEqual(["w-running", "w-idle", "w-legacy"]);
    const legacy = active.body.find((w: any) => w.worker_id === "w-legacy");
    expect(legacy).toMatchObject({ state: "IDLE", instance_id: "w-legacy", last_seen_at: legacyTs, heartbeat_at: legacyTs, tags: ["cpu"], hidden: false });
    expect(active.body[0].wheel_sync).toEqual({ enabled: false, last_result: "disabled" });   // raw fields pass through

    const all = await get("/workers?scope=ALL");
    expect(ids(all.body)).toEqual(["w-running", "w-idle", "w-stopped", "w-legacy", "w-stale"]);
    expect(all.body.find((w: any) => w.worker_id === "w-stale").state).toBe("DISCONNECTED");
    expect(all.body.find((w: any) => w.worker_id === "w-stopped").state).toBe("STOPPED_GRACEFUL");

    expect(ids((await get("/workers?scope=all&include_hidden=true")).body)).toContain("w-hidden");
    expect(ids((await get("/workers?scope=all&state=disconnected")).body)).toEqual(["w-stale"]);
    expect(ids((await get("/workers?state=RUNNING")).body)).toEqual(["w-running"]);
    expect(ids((await get("/workers?scope=all&state=")).body)).toHaveLength(5);
    expect(ids((await get("/workers?scope=all&limit=2")).body)).toEqual(["w-running", "w-idle"]);
  });

  test("bad filters answer 422", async () => {
    expect(await get("/workers?scope=bogus")).toEqual({ status: 422, body: { detail: "invalid workers request" } });
    expect(await get("/workers?state=BUSY")).toEqual({ status: 422, body: { detail: "invalid workers request" } });
    const bool = await get("/workers?include_hidden=maybe");
    expect(bool.status).toBe(422);
    expect(bool.body.detail[0]).toMatchObject({ type: "bool_parsing", loc: ["query", "include_hidden"], input: "maybe" });
    const limit = await get("/workers?limit=501");
    expect(limit.status).toBe(422);
    expect(limit.body.detail[0]).toMatchObject({ type: "less_than_equal", loc: ["query", "limit"] });
  });

  test("hide and unhide a worker", async () => {
    await file.gw.js.workers.put("w-toggle", record("w-toggle", "IDLE", 0) as any);
    const hidden = await patch("/workers/w-toggle", '{"hidden": true}');
    expect(hidden.status).toBe(200);
    expect(hidden.body).toMatchObject({ worker_id: "w-toggle", hidden: true });
    expect(typeof hidden.body.updated_at).toBe("number");
    expect(ids((await get("/workers")).body)).not.toContain("w-toggle");
    expect(ids((await get("/workers?include_hidden=1")).body)).toContain("w-toggle");
    const stored = (await file.gw.js.workers.get("w-toggle"))!.value;
    expect(stored).toMatchObject({ hidden: true, state: "IDLE", wheel_sync: { enabled: false, last_result: "disabled" } });

    expect((await patch("/workers/w-toggle", '{"hidden": false}')).body.hidden).toBe(false);
    expect(ids((await get("/workers")).body)).toContain("w-toggle");
  });

  test("PATCH of an unknown worker is 404 and a bad body is 422", async () => {
    expect(await patch("/workers/nobody", '{"hidden": true}')).toEqual({ status: 404, body: { detail: "worker not found" } });
    expect(await patch("/workers/x%3Ay", '{"hidden": true}')).toEqual({ status: 404, body: { detail: "worker not found" } });
    const missing = await patch("/workers/w-idle", "{}");
    expect(missing.status).toBe(422);
    expect(missing.body.detail[0]).toMatchObject({ type: "missing", loc: ["body", "hidden"] });
    expect((await patch("/workers/w-idle", '{"hidden": "perhaps"}')).status).toBe(422);
  });
});

describe("queues", () => {
  test("a tag nobody serves shows its waiting runs with 0 workers; served tags show their workers", async () => {
    for (let i = 0; i < 3; i++) {
      const runId = crypto.randomUUID();
      await file.gw.js.queue.publish("nobody", buildRunJob({ runId, flowName: "main", tag: "nobody", tags: ["nobody"], params: {}, submittedAt: Date.now() / 1000 }), runId);
    }
    const { status, body } = await get("/queues");
    expect(status).toBe(200);
    const byTag = Object.fromEntries(body.items.map((q: any) => [q.tag, q]));
    expect(byTag.nobody).toEqual({ tag: "nobody", workers: 0, waiting: 3, unacknowledged: 0, pulls_waiting: 0 });
    // cpu: w-running, w-idle, w-legacy, w-toggle are alive; hidden workers still serve their tag.
    expect(byTag.cpu).toMatchObject({ tag: "cpu", waiting: 0 });
    expect(byTag.cpu.workers).toBe(5);
    expect(byTag.gpu.workers).toBe(1);
  });

  test("jobs handed back (NAK) or held by a dead worker count as waiting while no alive worker serves the tag", async () => {
    const js = file.gw.js;
    await js.queue.ensureConsumer("orphaned", { ackWaitSec: 60, maxDeliver: 20, maxAckPending: 200 });
    for (let i = 0; i < 2; i++) {
      const runId = crypto.randomUUID();
      await js.queue.publish("orphaned", buildRunJob({ runId, flowName: "main", tag: "orphaned", tags: ["orphaned"], params: {}, submittedAt: Date.now() / 1000 }), runId);
    }
    const held = await js.queue.next("orphaned", 1_000);    // its worker "died": never settled
    const requeued = await js.queue.next("orphaned", 1_000);
    expect(held && requeued).toBeTruthy();
    requeued!.nak(0);                                       // a drain timeout hands it back
    const row = async () => (await get("/queues")).body.items.find((q: any) => q.tag === "orphaned");
    expect(await row()).toEqual({ tag: "orphaned", workers: 0, waiting: 2, unacknowledged: 0, pulls_waiting: 0 });
    const metrics = await (await fetch(file.gw.baseUrl + "/metrics")).text();
    expect(metrics).toContain('pyoco_queue_waiting{tag="orphaned"} 2');
    expect(metrics).toContain('pyoco_queue_unacknowledged{tag="orphaned"} 0');
    // Once an alive worker serves the tag, delivered jobs are its business again.
    await js.workers.put("w-orphaned", record("w-orphaned", "IDLE", 0, { tags: ["orphaned"] }) as any);
    expect(await row()).toMatchObject({ workers: 1, waiting: 0, unacknowledged: 2 });
  });
});
