/**
 * The worker behind the real gateway (tests/helpers/stack.ts): submit over HTTP, the run
 * completes with outputs; cancel over HTTP ends CANCELLED; the gateway lists the worker.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { waitFor } from "../../../src/lib/async.ts";
import { startStack, type Stack } from "../../helpers/stack.ts";

setDefaultTimeout(30_000);
let stack: Stack;

beforeAll(async () => { stack = await startStack({ workerEnv: { PYOCO_CANCEL_GRACE_PERIOD_SEC: "1" } }); });
afterAll(async () => { await stack?.stop(); });

async function runStatus(id: string, want: (s: string) => boolean): Promise<any> {
  return waitFor(async () => {
    const res = await fetch(`${stack.baseUrl}/runs/${id}?include=records`);
    if (!res.ok) return null;
    const body = await res.json() as any;
    return want(body.status) ? body : null;
  }, { timeoutMs: 15_000, what: `run ${id}` });
}

describe("worker behind the gateway", () => {
  test("a run submitted over HTTP completes and its outputs are visible through the API", async () => {
    const id = await stack.submit("add", { x: 2 });
    const run = await runStatus(id, (s) => s === "COMPLETED");
    expect(run.tasks).toEqual({ add_one: "SUCCEEDED", to_text: "SUCCEEDED" });
    expect(run.task_records.to_text.output).toBe("v=3");
  });

  test("a cancel over HTTP of a running cooperative run ends CANCELLED", async () => {
    const id = await stack.submit("slow_coop", { seconds: 30 });
    await runStatus(id, (s) => s === "RUNNING");
    const res = await fetch(`${stack.baseUrl}/runs/${id}/cancel`, { method: "POST" });
    expect(res.status).toBe(200);
    const run = await runStatus(id, (s) => s === "CANCELLED");
    expect(run.cancel_requested_at).toBeGreaterThan(0);
  });

  test("GET /workers lists the worker with its Pyoco implementation", async () => {
    const res = await fetch(`${stack.baseUrl}/workers`);
    const body = await res.json() as any;
    const list = Array.isArray(body) ? body : body.items ?? body.workers;
    const me = list.find((w: any) => w.worker_id === "stack-worker");
    expect(me.pyoco.impl).toBe("double");
    expect(["IDLE", "RUNNING"]).toContain(me.state);
  });
});
