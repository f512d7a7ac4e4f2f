/**
 * POST /runs/{run_id}/cancel against a real nats-server: the recorded request (status, time,
 * requester, reason), idempotent repeats, terminal and pending-approval runs, 404s, body rules,
 * compare-and-set against concurrent writers, and tenant scoping with an authenticator.
 */
import { describe, expect, test } from "bun:test";
import type { RunSnapshot } from "../../../src/domain/run.ts";
import { HttpError } from "../../../src/gateway/index.ts";
import { gatewayForFile, startTestGateway } from "../../helpers/gateway.ts";

const file = gatewayForFile();

async function submitted(): Promise<string> {
  return (await file.gw.call("POST", "/runs", { json: { flow_name: "main", tag: "cancel" } })).json.run_id;
}

async function stored(id: string): Promise<RunSnapshot> {
  return (await file.gw.js.runs.get(id))!.value;
}

describe("POST /runs/{run_id}/cancel", () => {
  test("a pending run becomes CANCELLING with the time and the requester recorded", async () => {
    const id = await submitted();
    const before = Date.now() / 1000;
    const r = await file.gw.call("POST", `/runs/${id}/cancel`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ run_id: id, status: "CANCELLING", cancel_requested_by: "api" });
    expect(r.json.cancel_requested_at).toBeGreaterThanOrEqual(before);
    expect(r.json).not.toContainKey("task_records");
    expect(await stored(id)).toMatchObject({ status: "CANCELLING", cancel_requested_at: r.json.cancel_requested_at });
  });

  test("a repeated cancel keeps the original request time and refreshes updated_at", async () => {
    const id = await submitted();
    const first = (await file.gw.call("POST", `/runs/${id}/cancel`)).json;
    const second = (await file.gw.call("POST", `/runs/${id}/cancel`)).json;
    expect(second.status).toBe("CANCELLING");
    expect(second.cancel_requested_at).toBe(first.cancel_requested_at);
    expect(second.updated_at).toBeGreaterThanOrEqual(first.updated_at);
  });

  test("a terminal run is returned unchanged and nothing is written", async () => {
    for (const status of ["COMPLETED", "FAILED", "CANCELLED", "completed"]) {
      const id = crypto.randomUUID();
      const snap = { run_id: id, flow_name: "main", status, task_records: { a: {} }, updated_at: 1, end_time: 1 } as RunSnapshot;
      const revision = await file.gw.js.runs.put(id, snap);
      const r = await file.gw.call("POST", `/runs/${id}/cancel`);
      expect([r.status, r.json]).toEqual([200, { run_id: id, flow_name: "main", status, updated_at: 1, end_time: 1 }]);
      expect((await file.gw.js.runs.get(id))!.revision).toBe(revision);
    }
  });

  test("a run pending approval is cancelled at once", async () => {
    const id = crypto.randomUUID();
    await file.gw.js.runs.put(id, { run_id: id, flow_name: "main", status: "PENDING_APPROVAL", end_time: null, updated_at: 1 } as RunSnapshot);
    const r = (await file.gw.call("POST", `/runs/${id}/cancel`)).json;
    expect(r.status).toBe("CANCELLED");
    expect(r.end_time).toBeGreaterThan(1);
    expect(r.updated_at).toBe(r.end_time);
  });

  test("an optional JSON reason is recorded as cancel_reason; empty and {} bodies are fine", async () => {
    const id = await submitted();
    const r = await file.gw.call("POST", `/runs/${id}/cancel`, { json: { reason: "wrong input file" } });
    expect(r.json.cancel_reason).toBe("wrong input file");
    const again = await file.gw.call("POST", `/runs/${id}/cancel`, { json: {} });
    expect(again.json.cancel_reason).toBe("wrong input file");
    const other = await submitted();
    expect((await file.gw.call("POST", `/runs/${other}/cancel`, { body: "", headers: { "content-type": "application/json" } })).status).toBe(200);
    expect((await file.gw.call("POST", `/runs/${other}/cancel`, { body: "whatever", headers: { "content-type": "text/plain" } })).status).toBe(200);
  });

  test("a malformed JSON body or a non-string reason is a 422 list", async () => {
    const id = await submitted();
    const bad = await file.gw.call("POST", `/runs/${id}/cancel`, { body: "{nope", headers: { "content-type": "application/json" } });
    expect([bad.status, bad.json.detail[0].type]).toEqual([422, "json_invalid"]);
    const wrong = await file.gw.call("POST", `/runs/${id}/cancel`, { json: { reason: 5 } });
    expect(wrong.json.detail).toEqual([{ type: "string_type", loc: ["body", "reason"], msg: "Input should be a valid string", input: 5 }]);
    expect((await stored(id)).status).toBe("PENDING");
  });

  test("unknown runs and invalid ids are 404 run not found, and nothing is created", async () => {
    const unknown = crypto.randomUUID();
    for (const id of [unknown, "a%20b", "x:y"]) {
      const r = await file.gw.call("POST", `/runs/${id}/cancel`);
      expect([r.status, r.json]).toEqual([404, { detail: "run not found" }]);
    }
    expect(await file.gw.js.runs.get(unknown)).toBeNull();
  });

  test("neither the cancel nor concurrent worker writes are lost (compare-and-set)", async () => {
    const id = await submitted();
    const progress = Array.from({ length: 15 }, (_, i) => file.gw.js.runs.mutate(id, (cur) => (cur ? { ...cur, tasks: { ...(cur.tasks ?? {}), [`t${i}`]: "SUCCEEDED" } } : null)));
    const cancel = file.gw.call("POST", `/runs/${id}/cancel`, { json: { reason: "race" } });
    await Promise.all([...progress, cancel]);
    const final = await stored(id);
    expect(final.status).toBe("CANCELLING");
    expect(final.cancel_reason).toBe("race");
    expect(Object.keys(final.tasks ?? {})).toHaveLength(15);
  });
});

describe("cancel with API keys", () => {
  test("records api_key:<id> as requester and hides other tenants' runs", async () => {
    const keys: Record<string, { tenantId: string; apiKeyId: string }> = {
      k1: { tenantId: "t1", apiKeyId: "key1" }, k2: { tenantId: "t2", apiKeyId: "key2" },
    };
    const authed = await startTestGateway(file.nats.url, {}, {
      authenticate: async (request) => {
        const key = request.headers.get("x-api-key");
        if (!key) throw new HttpError(401, "api key required");
        const caller = keys[key];
        if (!caller) throw new HttpError(403, "invalid api key");
        return caller;
      },
    });
    try {
      const h1 = { headers: { "x-api-key": "k1" } };
      const id = (await authed.call("POST", "/runs", { json: { flow_name: "main" }, ...h1 })).json.run_id;
      expect(await authed.js.runs.get(id)).toMatchObject({ value: { tenant_id: "t1", api_key_id: "key1" } });
      expect((await authed.call("POST", `/runs/${id}/cancel`)).status).toBe(401);
      const foreign = await authed.call("POST", `/runs/${id}/cancel`, { headers: { "x-api-key": "k2" } });
      expect([foreign.status, foreign.json]).toEqual([404, { detail: "run not found" }]);
      expect((await authed.call("GET", `/runs/${id}`, { headers: { "x-api-key": "k2" } })).status).toBe(404);
      expect((await authed.call("GET", "/runs", { headers: { "x-api-key": "k2" } })).json.map((r: { run_id: string }) => r.run_id)).not.toContain(id);
      const own = await authed.call("POST", `/runs/${id}/cancel`, h1);
      expect(own.json).toMatchObject({ status: "CANCELLING", cancel_requested_by: "api_key:key1" });
      // Validation comes before authentication, as in FastAPI.
      expect((await authed.call("GET", "/runs?limit=0")).status).toBe(422);
    } finally { await authed.stop(); }
  });
});
