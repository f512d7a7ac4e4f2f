/**
 * Logging never blocks or fails a run: with the PYOCO_LOGS stream deleted under a running
 * system, runs that print and log still complete, the lost lines are counted by the worker, and
 * the log endpoints answer "no lines" instead of an outage.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { parseSse } from "../../src/client/sse.ts";
import { waitFor } from "../../src/lib/async.ts";
import { startStack, type Stack } from "../helpers/stack.ts";

let stack: Stack;
beforeAll(async () => { stack = await startStack({ workerId: "lost-logs-worker" }); }, 60_000);
afterAll(async () => { await stack?.stop(); });

test("runs complete and the log endpoints stay up when the log stream is gone", async () => {
  await stack.gateway.js.deleteStream("PYOCO_LOGS");
  const runId = await stack.submit("chatty", { lines: 20 });
  const run = await waitFor(async () => {
    const r = (await (await fetch(`${stack.baseUrl}/runs/${runId}`)).json()) as { status: string };
    return ["COMPLETED", "FAILED"].includes(r.status) ? r : null;
  }, { timeoutMs: 30_000, intervalMs: 25, what: "run to end" });
  expect(run.status).toBe("COMPLETED");
  const warned = await stack.worker!.waitForLog((l) => l.message === "task log lines dropped" && l.run_id === runId, 10_000);
  expect(warned.reason).toBe("publish failed");

  const page = await fetch(`${stack.baseUrl}/runs/${runId}/logs`);
  expect(page.status).toBe(200);
  expect(await page.json()).toEqual({ run_id: runId, items: [], next_seq: null, dropped: 0 });
  const watch = await fetch(`${stack.baseUrl}/runs/${runId}/logs/watch`, { signal: AbortSignal.timeout(20_000) });
  expect(watch.status).toBe(200);
  const events: string[] = [];
  for await (const m of parseSse(watch.body!)) events.push(m.event);
  expect(events).toEqual(["end"]);
}, 60_000);
