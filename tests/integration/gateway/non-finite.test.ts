/**
 * Issue 10 item 2: NaN and Infinity. Python's json.dumps writes them as bare tokens (the original
 * worker does so for a NaN in params); such snapshots used to be unreadable (404 on get, tasks and
 * cancel, missing from lists and metrics). They are read now and answered with null plus the
 * additive `non_finite` marker, which Python's json and browsers both parse. And YAML `.nan` /
 * `.inf` defaults reach the Python flow as floats (they used to arrive as None).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { waitFor } from "../../../src/lib/async.ts";
import { startStack, type Stack } from "../../helpers/stack.ts";
import { testPythonPath } from "../../helpers/worker.ts";

let stack: Stack;
beforeAll(async () => { stack = await startStack({ workerId: "nf-worker" }); });
afterAll(async () => { await stack?.stop(); });

const get = async (path: string, init?: RequestInit) => {
  const res = await fetch(stack.baseUrl + path, init);
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
};

/** The bytes Python's json.dumps writes for `value` (NaN/Infinity as bare tokens). */
function pythonDumps(pyLiteral: string): Uint8Array {
  const out = Bun.spawnSync([testPythonPath(), "-c", `import json,sys; sys.stdout.write(json.dumps(${pyLiteral}, separators=(",", ":")))`]);
  if (out.exitCode !== 0) throw new Error(out.stderr.toString());
  return out.stdout;
}

describe("snapshots holding NaN/Infinity", () => {
  const runId = "0b6f3f5e-1c1e-4d55-9a11-3c0f6f0e0a01";
  beforeAll(async () => {
    const now = Date.now() / 1000;
    const bytes = pythonDumps(`{"run_id": "${runId}", "flow_name": "nan_flow", "tag": "default", "tags": ["default"], "tenant_id": None,
      "api_key_id": None, "status": "RUNNING", "params": {"x": float("nan"), "ys": [1.5, float("inf"), -float("inf")]},
      "tasks": {"t": "SUCCEEDED"}, "task_records": {"t": {"state": "SUCCEEDED", "output": float("nan")}}, "start_time": ${now},
      "end_time": None, "heartbeat_at": ${now}, "updated_at": ${now}, "error": None, "worker_id": None}`);
    expect(new TextDecoder().decode(bytes)).toContain("NaN");
    const nc = await connect({ servers: stack.natsUrl.replace("nats://", "") });
    try {
      const kv = await new Kvm(nc).open("pyoco_runs", { bindOnly: true });
      await kv.put(runId, bytes);
    } finally { await nc.close(); }
    await waitFor(() => stack.gateway.deps.index.size > 0, { timeoutMs: 10_000, what: "index sees the run" });
  });

  test("GET /runs/{id} answers strict JSON: null plus the non_finite marker", async () => {
    const r = await get(`/runs/${runId}`);
    expect(r.status).toBe(200);
    expect(r.text).not.toMatch(/[:[,](NaN|-?Infinity)[,\]}]/);   // no bare tokens: strict parsers read it
    expect(r.json.params).toEqual({ x: null, ys: [1.5, null, null] });
    expect(r.json.non_finite).toEqual({ "params.x": "NaN", "params.ys.1": "Infinity", "params.ys.2": "-Infinity" });
  });

  test("tasks, list, metrics and cancel see the run", async () => {
    const tasks = await get(`/runs/${runId}/tasks`);
    expect(tasks.status).toBe(200);
    expect(tasks.json.task_records.t.output).toBeNull();
    expect(tasks.json.non_finite).toEqual({ "task_records.t.output": "NaN" });

    const list = await get("/runs?flow=nan_flow");
    expect(list.json.map((r: any) => r.run_id)).toEqual([runId]);
    const full = await get("/runs?flow=nan_flow&include=full&cursor=");
    expect(full.json.items[0].non_finite["params.x"]).toBe("NaN");

    const metrics = await (await fetch(stack.baseUrl + "/metrics")).text();
    expect(metrics).toMatch(/pyoco_runs_total\{status="RUNNING"\} 1/);

    const cancel = await get(`/runs/${runId}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(200);
    expect(cancel.json.status).toBe("CANCELLING");
    expect(cancel.json.non_finite["params.x"]).toBe("NaN");
  });
});

test("YAML .nan/.inf defaults reach the Python flow as floats and the run completes", async () => {
  const yaml = "version: 1\nflow:\n  graph: |\n    check_floats\n  defaults:\n    x: .nan\n    y: .inf\ntasks:\n  check_floats:\n    callable: demo_tasks:check_floats\n";
  const form = new FormData();
  form.set("workflow", new File([yaml], "flow.yaml"));
  form.set("flow_name", "floats");
  const submitted = await get("/runs/yaml", { method: "POST", body: form });
  expect(submitted.status).toBe(200);
  const id = submitted.json.run_id;
  const done = await waitFor(async () => {
    const r = await get(`/runs/${id}?include=records`);
    return ["COMPLETED", "FAILED"].includes(r.json.status) ? r.json : null;
  }, { timeoutMs: 30_000, what: "the YAML run ends" });
  expect(done.error).toBeNull();
  expect(done.status).toBe("COMPLETED");
  expect(done.task_records.check_floats.output).toBe("floats ok");
});
