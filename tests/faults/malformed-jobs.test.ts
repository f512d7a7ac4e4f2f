/**
 * Fault: malformed job messages published straight onto `pyoco.work.<tag>` (bypassing the
 * gateway's validation) against a real worker subprocess. Every one must end in the DLQ as
 * `invalid_job` (terminated, never redelivered, no run snapshot written), and the worker must stay
 * up and keep executing valid runs.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { waitFor } from "../../src/lib/async.ts";
import { dlqRecords, submitRun, waitForRun, workerBedForFile } from "../integration/worker/support.ts";

setDefaultTimeout(90_000);

const TAG = "hostile";
const bed = workerBedForFile({ tags: [TAG], workerId: "hostile-worker" });

const valid = { run_id: "r-ok", flow_name: "add", tag: TAG, tags: [TAG], params: {}, submitted_at: 1 };
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

/** [label, bytes]: each is not a job the worker can run. */
const HOSTILE: [string, Uint8Array][] = [
  ["empty", new Uint8Array()],
  ["not JSON", new TextEncoder().encode("not-json")],
  ["truncated JSON", new TextEncoder().encode('{"run_id": "x1", "flow_na')],
  ["invalid UTF-8", new Uint8Array([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x7d])],
  ["NUL bytes", new Uint8Array(64)],
  ["JSON array", json([valid])],
  ["JSON string", json("run")],
  ["JSON number", json(42)],
  ["JSON null", json(null)],
  ["empty object", json({})],
  ["missing flow_name", json({ run_id: "x2" })],
  ["run_id a number", json({ ...valid, run_id: 7 })],
  ["run_id empty", json({ ...valid, run_id: "" })],
  ["run_id with a space", json({ ...valid, run_id: "a b" })],
  ["run_id a subject wildcard", json({ ...valid, run_id: "a.*" })],
  ["run_id with a leading dot", json({ ...valid, run_id: ".hidden" })],
  ["run_id 5,000 characters", json({ ...valid, run_id: "r".repeat(5_000) })],
  ["flow_name an object", json({ ...valid, run_id: "x3", flow_name: { a: 1 } })],
  ["params a list", json({ ...valid, run_id: "x4", params: [1, 2] })],
  ["params a string", json({ ...valid, run_id: "x5", params: "x=1" })],
  ["tags not a list of strings", json({ ...valid, run_id: "x6", tags: [1] })],
  ["tag a number", json({ ...valid, run_id: "x7", tag: 5 })],
  ["submitted_at a word", json({ ...valid, run_id: "x8", submitted_at: "yesterday" })],
  ["spawn_depth a fraction", json({ ...valid, run_id: "x9", spawn_depth: 1.5 })],
  ["workflow_yaml a number", json({ ...valid, run_id: "x10", workflow_yaml: 5 })],
  ["params nested 5,000 levels (Python's json cannot decode it)", new TextEncoder().encode(`{"run_id":"x11","flow_name":"add","params":{"deep":${nested(5_000)}}}`)],
  ["JSON nested 100,000 levels", new TextEncoder().encode(nested(100_000))],
  ["900 KB of garbage", new Uint8Array(900_000).fill(0x41)],
];

test(`${HOSTILE.length} malformed jobs all go to the DLQ as invalid_job; the worker stays up and runs valid jobs`, async () => {
  const { js, worker } = bed;
  const before = await submitRun(js, "add", { tag: TAG, params: { x: 1 } });
  for (const [, bytes] of HOSTILE) await js.queue.publishRaw(`pyoco.work.${TAG}`, bytes);
  const after = await submitRun(js, "add", { tag: TAG, params: { x: 2 } });
  expect((await waitForRun(js, before, undefined, 60_000)).status).toBe("COMPLETED");
  expect((await waitForRun(js, after, undefined, 60_000)).status).toBe("COMPLETED");

  const invalid = await waitFor(async () => {
    const got = await dlqRecords(js, (r) => r.reason === "invalid_job");
    return got.length >= HOSTILE.length ? got : null;
  }, { timeoutMs: 30_000, what: `${HOSTILE.length} invalid_job DLQ records` });
  expect(invalid.length).toBe(HOSTILE.length);
  for (const m of invalid) expect(m.record).toMatchObject({ reason: "invalid_job", subject: `pyoco.work.${TAG}`, worker_id: "hostile-worker", num_delivered: 1 });
  expect((await dlqRecords(js, (r) => r.reason !== "invalid_job")).length).toBe(0);   // nothing else failed
  // Terminated, not redelivered; no snapshot was written for any of them.
  await waitFor(async () => { const c = await js.consumer(TAG); return c!.num_ack_pending === 0 && c!.num_pending === 0; }, { what: "queue empty" });
  for (const id of ["x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "a b"]) {
    if (id.includes(" ")) continue;
    expect(await js.runs.get(id)).toBeNull();
  }
  expect(worker.logs().filter((l) => l.err_id === "ERR-PYOCO-0012").length).toBe(HOSTILE.length);
  expect(await Promise.race([worker.exited.then(() => "exited"), Bun.sleep(0).then(() => "running")])).toBe("running");
});
