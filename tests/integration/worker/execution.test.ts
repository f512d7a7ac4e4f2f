/**
 * Worker execution end to end: a real nats-server, the worker as a subprocess
 * (`bun src/main.ts worker`), real Python with the Pyoco test double. Covers resolver and YAML
 * flows, task failure, unknown flow, invalid jobs, noisy tasks and a crashing runner.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "bun:test";
import type { PyocoJetStream } from "../../../src/jetstream/index.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { dlqRecords, submitRun, waitForRun, workerBedForFile } from "./support.ts";

const TAG = "exec";
const bed = workerBedForFile({ tags: [TAG], workerId: "exec-worker" });
let js: PyocoJetStream;
beforeAll(() => { js = bed.js; });

const YAML = readFileSync(new URL("../../fixtures/flows/add-one-to-text.yaml", import.meta.url), "utf8");

describe("worker executes runs", () => {
  test("a resolver flow completes with every task SUCCEEDED and outputs in task_records", async () => {
    const id = await submitRun(js, "add", { tag: TAG, params: { x: 41 } });
    const snap = await waitForRun(js, id);
    expect(snap.status).toBe("COMPLETED");
    expect(snap.tasks).toEqual({ add_one: "SUCCEEDED", to_text: "SUCCEEDED" });
    expect((snap.task_records as any).to_text.output).toBe("v=42");
    expect(snap.worker_id).toBe("exec-worker");
    expect(snap.attempt).toBe(1);
    expect(snap.error).toBeNull();
    expect(typeof snap.end_time).toBe("number");
  });

  test("a YAML flow runs with flow.defaults applied, and submitted params win over them", async () => {
    const withDefaults = await submitRun(js, "train", { tag: TAG, yaml: YAML });
    const overridden = await submitRun(js, "train", { tag: TAG, yaml: YAML, params: { x: 5 } });
    const a = await waitForRun(js, withDefaults);
    const b = await waitForRun(js, overridden);
    expect(a.status).toBe("COMPLETED");
    expect(a.flow_name).toBe("train");
    expect(a.tasks).toEqual({ add_one: "SUCCEEDED", to_text: "SUCCEEDED" });
    expect((a.task_records as any).to_text.output).toBe("v=2");
    expect(typeof a.workflow_yaml_sha256).toBe("string");
    expect((b.task_records as any).to_text.output).toBe("v=6");
  });

  test("a failing task ends FAILED with its message and a DLQ execution_error record", async () => {
    const id = await submitRun(js, "boom", { tag: TAG });
    const snap = await waitForRun(js, id);
    expect(snap.status).toBe("FAILED");
    expect(snap.error).toBe("boom");
    expect(snap.tasks).toEqual({ boom: "FAILED" });
    const [dlq] = await dlqRecords(js, (r) => r.run_id === id);
    expect(dlq!.subject).toBe(`pyoco.dlq.${TAG}`);
    expect(dlq!.record).toMatchObject({ reason: "execution_error", error: "boom", run_id: id, flow_name: "boom", tag: TAG, worker_id: "exec-worker" });
  });

  test("an unknown flow ends FAILED with flow_not_found and a DLQ flow_not_found record", async () => {
    const id = await submitRun(js, "no_such_flow", { tag: TAG });
    const snap = await waitForRun(js, id);
    expect(snap.status).toBe("FAILED");
    expect(snap.error).toBe("flow_not_found: 'no_such_flow'");
    expect(snap.end_time).toBeNull();
    const [dlq] = await dlqRecords(js, (r) => r.run_id === id);
    expect(dlq!.record).toMatchObject({ reason: "flow_not_found", error: "flow_not_found: 'no_such_flow'", worker_id: "exec-worker", tag: TAG });
  });

  test("a YAML flow whose callable cannot be imported ends FAILED with a DLQ invalid_workflow record", async () => {
    const bad = YAML.replace("demo_tasks:to_text", "no_such_module_xyz:to_text");
    const id = await submitRun(js, "train", { tag: TAG, yaml: bad });
    const snap = await waitForRun(js, id);
    expect(snap.status).toBe("FAILED");
    expect(snap.error).toContain("no_such_module_xyz");
    const [dlq] = await dlqRecords(js, (r) => r.run_id === id);
    expect(dlq!.record.reason).toBe("invalid_workflow");
  });

  test("garbage on a work subject goes to the DLQ as invalid_job and the worker keeps running", async () => {
    await js.queue.publishRaw(`pyoco.work.${TAG}`, new TextEncoder().encode("not-json"));
    await js.queue.publishRaw(`pyoco.work.${TAG}`, new TextEncoder().encode(JSON.stringify({ run_id: "x1", flow_name: "add", tags: 5 })));
    const id = await submitRun(js, "hello", { tag: TAG });
    expect((await waitForRun(js, id)).status).toBe("COMPLETED");
    const invalid = await dlqRecords(js, (r) => r.reason === "invalid_job");
    expect(invalid.map((m) => m.record.error)).toEqual(["invalid_json", "invalid_field: tags must be a list of strings"]);
    expect(invalid[0]!.record).toMatchObject({ subject: `pyoco.work.${TAG}`, worker_id: "exec-worker", num_delivered: 1, payload: "not-json" });
    expect(await js.runs.get("x1")).toBeNull();   // no snapshot for an invalid job
    // Terminated, not waiting for redelivery (the run's own ack follows its terminal write: wait for it).
    await waitFor(async () => (await js.consumer(TAG))!.num_ack_pending === 0, { what: "nothing ack pending" });
  });

  test("a noisy task (prints, stderr, a child process) completes", async () => {
    const id = await submitRun(js, "noisy", { tag: TAG });
    const snap = await waitForRun(js, id);
    expect(snap.status).toBe("COMPLETED");
    expect((snap.task_records as any).noisy.output).toBe("quiet");
  });

  test("a runner that exits with os._exit(3) fails the run with the exit code, and the worker goes on", async () => {
    const id = await submitRun(js, "crash", { tag: TAG });
    const snap = await waitForRun(js, id);
    expect(snap.status).toBe("FAILED");
    expect(snap.error).toContain("exit code 3");
    const [dlq] = await dlqRecords(js, (r) => r.run_id === id);
    expect(dlq!.record.reason).toBe("execution_error");
    const next = await submitRun(js, "add", { tag: TAG, params: { x: 1 } });
    expect((await waitForRun(js, next)).status).toBe("COMPLETED");
  });

  test("the registry shows the worker IDLE with its last run, the runner's Pyoco and python", async () => {
    // The registry write follows the run's terminal write: wait for it.
    const rec = await waitFor(async () => {
      const r = (await js.workers.get("exec-worker"))!.value;
      return r.state === "IDLE" && r.last_run_status != null ? r : null;
    }, { what: "registry IDLE" });
    expect(rec.tags).toEqual([TAG]);
    expect(rec.pyoco).toEqual({ impl: "double", version: expect.any(String) });
    expect(typeof rec.python).toBe("string");
    expect(rec.last_run_status).toBe("COMPLETED");
    expect(rec.instance_id).toMatch(/^[0-9a-f]{32}$/);
  });
});
