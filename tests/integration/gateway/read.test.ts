/**
 * Reading runs over HTTP against a real nats-server: GET /runs/{id} (include variants, worker
 * liveness), GET /runs/{id}/tasks, the 404s (unknown ids, ids outside the NATS key alphabet),
 * framework 404/405, /health and /openapi.json.
 */
import { describe, expect, test } from "bun:test";
import type { RunSnapshot } from "../../../src/domain/run.ts";
import type { WorkerRecord } from "../../../src/domain/worker-record.ts";
import { gatewayForFile } from "../../helpers/gateway.ts";

const file = gatewayForFile();

const now = () => Date.now() / 1000;

/** A snapshot as a worker writes it, with task records. */
function workerSnapshot(runId: string, extra: Partial<RunSnapshot> = {}): RunSnapshot {
  return {
    run_id: runId, flow_name: "main", tag: "default", tags: ["default"], tenant_id: null, api_key_id: null,
    status: "RUNNING", params: { x: 1 }, tasks: { a: "SUCCEEDED", b: "RUNNING" },
    task_records: { a: { state: "SUCCEEDED", output: 2 } }, start_time: now(), end_time: null,
    heartbeat_at: now(), updated_at: now(), error: null, ...extra,
  };
}

describe("GET /runs/{run_id}", () => {
  test("returns the stored snapshot without task records unless include asks for them", async () => {
    const id = crypto.randomUUID();
    await file.gw.js.runs.put(id, workerSnapshot(id, { task_records_truncated: true, custom_field: "kept" }));
    const plain = await file.gw.call("GET", `/runs/${id}`);
    expect(plain.status).toBe(200);
    expect(plain.json).toMatchObject({ run_id: id, status: "RUNNING", tasks: { a: "SUCCEEDED", b: "RUNNING" }, custom_field: "kept" });
    expect(plain.json).not.toContainKey("task_records");
    expect(plain.json).not.toContainKey("task_records_truncated");
    for (const include of ["records", "task_records", "full", "all"]) {
      const r = await file.gw.call("GET", `/runs/${id}?include=${include}`);
      expect(r.json.task_records).toEqual({ a: { state: "SUCCEEDED", output: 2 } });
      expect(r.json.task_records_truncated).toBe(true);
    }
    // Comma lists are not split (FastAPI List[str]); repeated parameters are.
    expect((await file.gw.call("GET", `/runs/${id}?include=x,records`)).json).not.toContainKey("task_records");
    expect((await file.gw.call("GET", `/runs/${id}?include=x&include=records`)).json).toContainKey("task_records");
  });

  test("a run with a worker_id tells whether that worker is alive", async () => {
    const alive = crypto.randomUUID();
    const gone = crypto.randomUUID();
    const record = { worker_id: "w-alive", instance_id: "i1", state: "RUNNING", hidden: false, tags: ["default"], last_seen_at: now(), last_heartbeat_at: now() - 1, updated_at: now() };
    await file.gw.js.workers.put("w-alive", record as unknown as WorkerRecord);
    await file.gw.js.runs.put(alive, workerSnapshot(alive, { worker_id: "w-alive" }));
    await file.gw.js.runs.put(gone, workerSnapshot(gone, { worker_id: "w-missing" }));

    const a = (await file.gw.call("GET", `/runs/${alive}`)).json;
    expect(a).toMatchObject({ worker_alive: true, worker_state: "RUNNING", worker_heartbeat_at: record.last_heartbeat_at, worker_hidden: false, worker_tags: ["default"] });
    const g = (await file.gw.call("GET", `/runs/${gone}`)).json;
    expect(g).toMatchObject({ worker_alive: false, worker_state: "DISCONNECTED", worker_heartbeat_at: null });
    expect(g).not.toContainKey("worker_hidden");
    const none = crypto.randomUUID();
    await file.gw.js.runs.put(none, workerSnapshot(none));
    expect((await file.gw.call("GET", `/runs/${none}`)).json).not.toContainKey("worker_alive");
  });

  test("unknown runs, deleted runs and ids outside the NATS key alphabet are 404 run not found", async () => {
    const deleted = crypto.randomUUID();
    await file.gw.js.runs.put(deleted, workerSnapshot(deleted));
    await file.gw.js.runs.delete(deleted);
    for (const path of [`/runs/${crypto.randomUUID()}`, `/runs/${deleted}`, "/runs/a%20b", "/runs/x:y", "/runs/a+b", "/runs/.hidden",
      `/runs/${crypto.randomUUID()}/tasks`, "/runs/a%20b/tasks", "/runs/yaml"]) {
      const r = await file.gw.call("GET", path);
      expect([path, r.status, r.json]).toEqual([path, 404, { detail: "run not found" }]);
    }
  });
});

describe("GET /runs/{run_id}/tasks", () => {
  test("returns exactly run_id, flow_name, status, tasks, task_records and the truncation flag", async () => {
    const id = crypto.randomUUID();
    await file.gw.js.runs.put(id, workerSnapshot(id));
    const r = await file.gw.call("GET", `/runs/${id}/tasks`);
    expect(r.json).toEqual({
      run_id: id, flow_name: "main", status: "RUNNING", tasks: { a: "SUCCEEDED", b: "RUNNING" },
      task_records: { a: { state: "SUCCEEDED", output: 2 } }, task_records_truncated: false,
    });
    const bare = crypto.randomUUID();
    await file.gw.js.runs.put(bare, { run_id: bare, flow_name: "f", status: "PENDING", tasks: null, task_records: null } as unknown as RunSnapshot);
    expect((await file.gw.call("GET", `/runs/${bare}/tasks`)).json).toEqual({ run_id: bare, flow_name: "f", status: "PENDING", tasks: {}, task_records: {}, task_records_truncated: false });
  });
});

describe("framework answers", () => {
  test("an unknown path is 404 Not Found and a known path with another method is 405", async () => {
    expect((await file.gw.call("GET", "/nope")).json).toEqual({ detail: "Not Found" });
    const r = await file.gw.call("DELETE", "/runs");
    expect([r.status, r.json]).toEqual([405, { detail: "Method Not Allowed" }]);
    expect(r.headers.get("allow")).toContain("GET");
    expect((await file.gw.call("PUT", `/runs/${crypto.randomUUID()}`)).status).toBe(405);
  });

  test("a request to a short host name is routed too", async () => {
    const res = await file.gw.app.handle(new Request("http://x/health"));
    expect(res.status).toBe(200);
  });

  test("/health is ok and tells whether the index and NATS are ready", async () => {
    const r = await file.gw.call("GET", "/health");
    expect(r.json).toEqual({ status: "ok", index_ready: true, nats_connected: true });
  });

  test("/openapi.json describes every run endpoint with its parameters", async () => {
    const doc = (await file.gw.call("GET", "/openapi.json")).json;
    expect(doc.openapi).toStartWith("3.");
    expect(doc.info.title).toBe("pyoco (HTTP gateway)");
    for (const [path, method] of [["/runs", "post"], ["/runs/yaml", "post"], ["/runs", "get"], ["/runs/{run_id}", "get"], ["/runs/{run_id}/tasks", "get"], ["/runs/{run_id}/cancel", "post"], ["/health", "get"]]) {
      expect(doc.paths[path!]?.[method!]).toBeDefined();
    }
    const limit = doc.paths["/runs"].get.parameters.find((p: { name: string }) => p.name === "limit");
    expect(limit.schema).toEqual({ type: "integer", default: 50, minimum: 1, maximum: 200 });
  });
});
