/**
 * GET /runs/{run_id}/watch against a real nats-server and a real gateway: events are pushed from
 * KV writes, the stream ends after the terminal snapshot, Last-Event-ID resumes without losing
 * the latest state, many watchers share one KV watch, and the error cases answer as plain JSON.
 * Worker writes are simulated with compare-and-set KV updates (js.runs.update).
 */
import { describe, expect, test } from "bun:test";
import type { RunSnapshot } from "../../../src/domain/run.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { gatewayForFile } from "../../helpers/gateway.ts";
import { SseReader } from "./sse-reader.ts";

const file = gatewayForFile();

/** A run as the gateway writes it at submit, then moved by "worker" writes. */
async function createRun(extra: Partial<RunSnapshot> = {}): Promise<{ runId: string; revision: number; snapshot: RunSnapshot }> {
  const runId = crypto.randomUUID();
  const snapshot: RunSnapshot = {
    run_id: runId, flow_name: "main", tag: "default", tags: ["default"], status: "PENDING", params: {}, tasks: {},
    task_records: { hello: { state: "PENDING" } }, updated_at: Date.now() / 1000, ...extra,
  };
  const revision = await file.gw.js.runs.create(runId, snapshot);
  return { runId, revision, snapshot };
}

async function move(runId: string, status: string, extra: Partial<RunSnapshot> = {}): Promise<number> {
  const current = (await file.gw.js.runs.get(runId))!;
  return file.gw.js.runs.update(runId, { ...current.value, status, updated_at: Date.now() / 1000, worker_id: "w1", ...extra }, current.revision);
}

function watch(runId: string, query = "", headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${file.gw.baseUrl}/runs/${runId}/watch${query}`, { headers, signal });
}

describe("watch stream", () => {
  test("a watcher receives the current snapshot, RUNNING and the terminal snapshot, then the stream closes", async () => {
    const { runId, revision } = await createRun();
    const res = await watch(runId);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    const sse = new SseReader(res);

    const first = (await sse.next())!;
    expect(first.event).toBe("snapshot");
    expect(first.id).toBe(String(revision));
    expect(first.data.run_id).toBe(runId);
    expect(first.data.snapshot.status).toBe("PENDING");
    expect(first.data.snapshot.task_records).toBeUndefined();   // filtered like GET /runs/{id}
    expect(typeof first.data.ts).toBe("number");
    expect(first.raw).toMatch(/^id: \d+\nevent: snapshot\ndata: \{"run_id":.*\}\n\n$/);

    const running = await move(runId, "RUNNING");
    const second = (await sse.next())!;
    expect(second.id).toBe(String(running));
    expect(second.data.snapshot.status).toBe("RUNNING");

    const done = await move(runId, "COMPLETED");
    const third = (await sse.next())!;
    expect(third.id).toBe(String(done));
    expect(third.data.snapshot.status).toBe("COMPLETED");
    expect(await sse.next()).toBeNull();   // the server ended the stream after the terminal snapshot
  });

  test("include=records keeps task_records and non-ASCII is escaped in the data line", async () => {
    const { runId } = await createRun({ params: { name: "日本" } });
    const sse = new SseReader(await watch(runId, "?include=records"));
    const first = (await sse.next())!;
    expect(first.data.snapshot.task_records).toEqual({ hello: { state: "PENDING" } });
    expect(first.raw).toContain("\\u65e5\\u672c");
    expect(first.data.snapshot.params.name).toBe("日本");
    await sse.cancel();
  });

  test("a watch of a run that is already terminal sends it once and closes", async () => {
    const { runId } = await createRun({ status: "FAILED" });
    const events = await new SseReader(await watch(runId)).rest();
    expect(events.map((e) => e.data.snapshot.status)).toEqual(["FAILED"]);
  });

  test("heartbeats are sent during silence and timeout_sec ends the stream", async () => {
    const { runId } = await createRun();
    const started = Date.now();
    const events = await new SseReader(await watch(runId, "?heartbeat_sec=0.2&timeout_sec=1")).rest(3000);
    expect(events[0]!.event).toBe("snapshot");
    const beats = events.filter((e) => e.event === "heartbeat");
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats[0]!.id).toBeNull();
    expect(beats[0]!.data.run_id).toBe(runId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  test("since skips snapshots older than since", async () => {
    const { runId, snapshot } = await createRun();
    const sse = new SseReader(await watch(runId, `?since=${snapshot.updated_at! + 1000}&heartbeat_sec=0.1`));
    expect((await sse.next())!.event).toBe("heartbeat");
    await sse.cancel();
  });
});

describe("resuming with Last-Event-ID", () => {
  test("a watcher that reconnects with Last-Event-ID misses no update", async () => {
    const { runId, revision } = await createRun();
    const ac = new AbortController();
    const first = new SseReader(await watch(runId, "", {}, ac.signal));
    expect((await first.next())!.id).toBe(String(revision));
    ac.abort();   // the connection drops

    const running = await move(runId, "RUNNING");   // written while nobody watches
    const second = new SseReader(await watch(runId, "?heartbeat_sec=0.1", { "Last-Event-ID": String(revision) }));
    const resumed = (await second.next())!;
    expect(resumed.id).toBe(String(running));
    expect(resumed.data.snapshot.status).toBe("RUNNING");
    await second.cancel();

    // Up to date: nothing is resent, only later changes arrive.
    const third = new SseReader(await watch(runId, `?heartbeat_sec=0.1&last_event_id=${running}`));
    expect((await third.next())!.event).toBe("heartbeat");
    const done = await move(runId, "COMPLETED");
    const rest = await third.rest();
    const snapshots = rest.filter((e) => e.event === "snapshot");
    expect(snapshots.map((e) => [e.id, e.data.snapshot.status])).toEqual([[String(done), "COMPLETED"]]);

    // A client that already has the terminal snapshot gets an empty, closed stream.
    expect(await new SseReader(await watch(runId, "", { "Last-Event-ID": String(done) })).rest()).toEqual([]);
  });
});

describe("fan-out", () => {
  test("100 concurrent watchers of one run all receive the terminal event", async () => {
    const { runId } = await createRun();
    const readers = await Promise.all(Array.from({ length: 100 }, async () => new SseReader(await watch(runId))));
    await Promise.all(readers.map(async (r) => expect((await r.next(10_000))!.data.snapshot.status).toBe("PENDING")));
    await move(runId, "RUNNING");
    await move(runId, "CANCELLED");
    const finals = await Promise.all(readers.map(async (r) => (await r.rest(10_000)).at(-1)!.data.snapshot.status));
    expect(finals.filter((s) => s === "CANCELLED").length).toBe(100);
  });
});

describe("errors before streaming", () => {
  test("an unknown run is 404 run not found", async () => {
    const res = await watch(crypto.randomUUID());
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: "run not found" });
  });

  test("an id outside the NATS key alphabet is 404, not 503", async () => {
    for (const id of ["a%20b", "x:y", "a+b"]) {
      const res = await watch(id);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ detail: "run not found" });
    }
  });

  test("timeout_sec outside 1..600 is a FastAPI 422", async () => {
    const { runId } = await createRun();
    const low = await watch(runId, "?timeout_sec=0");
    expect(low.status).toBe(422);
    expect((await low.json()).detail[0]).toMatchObject({ type: "greater_than_equal", loc: ["query", "timeout_sec"], ctx: { ge: 1 } });
    const high = await watch(runId, "?timeout_sec=601");
    expect(high.status).toBe(422);
    expect((await high.json()).detail[0]).toMatchObject({ type: "less_than_equal", loc: ["query", "timeout_sec"], ctx: { le: 600 } });
    expect((await watch(runId, "?since=abc")).status).toBe(422);
  });

  test("NATS down is 503 as plain JSON, and the gateway recovers when NATS is back", async () => {
    const { runId } = await createRun();
    await file.nats.kill();
    try {
      await waitFor(() => !file.gw.js.connected, { timeoutMs: 10_000, what: "gateway to notice the outage" });
      const res = await watch(runId);
      expect(res.status).toBe(503);
      expect((await res.json()).detail).toMatch(/^nats unavailable: /);
    } finally {
      await file.nats.start();
    }
    await waitFor(() => file.gw.js.connected, { timeoutMs: 15_000, what: "gateway to reconnect" });
    const res = await waitFor(async () => { const r = await watch(runId, "?timeout_sec=1"); return r.status === 200 ? r : null; }, { timeoutMs: 10_000 });
    await new SseReader(res).cancel();
  });
});
