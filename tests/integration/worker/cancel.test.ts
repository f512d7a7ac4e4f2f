/**
 * Cancel, worker side (decisions.md §3.5, §7): cancels are durable KV state, seen by the worker's
 * KV watch and honoured — queued runs never execute, cooperative runs stop, stubborn runners are
 * killed with their process group after the grace period, and a run never ends CANCELLING.
 * Each test prints how long the cancel took.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeRunJob, buildRunJob } from "../../../src/domain/job.ts";
import { wireBytes } from "../../../src/domain/json.ts";
import { initialSnapshot, type RunSnapshot } from "../../../src/domain/run.ts";
import { pickupSnapshot } from "../../../src/domain/snapshot-writer.ts";
import { PyocoJetStream } from "../../../src/jetstream/index.ts";
import { sleep, waitFor } from "../../../src/lib/async.ts";
import { systemClock } from "../../../src/lib/clock.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { testSettings } from "../../helpers/settings.ts";
import { startWorker, type StartedWorker } from "../../helpers/worker.ts";
import { RunWriter } from "../../../src/worker/run-writer.ts";
import { cancelRun, isAlive, recordStatuses, submitRun, waitForRun } from "./support.ts";

setDefaultTimeout(30_000);

let nats: NatsServer;
let js: PyocoJetStream;
let scratch: string;
let worker: StartedWorker;
const TAG = "cancel";
const ENV = { PYOCO_CANCEL_GRACE_PERIOD_SEC: "1", PYOCO_RUN_HEARTBEAT_INTERVAL_SEC: "0.1" };

function report(what: string, ms: number) {
  console.log(`[cancel timing] ${what}: ${ms.toFixed(0)} ms`);
}

beforeAll(async () => {
  nats = await startNatsServer();
  js = await PyocoJetStream.connect(testSettings(nats.url), { name: "test", log: silentLogger });
  await js.ensureResources();
  scratch = mkdtempSync(join(tmpdir(), "pyoco-cancel-test-"));
});

afterAll(async () => {
  await worker?.stop();
  await js?.close();
  await nats?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("cancel", () => {
  test("a run cancelled while queued never executes and ends CANCELLED once a worker starts", async () => {
    const marker = join(scratch, "queued-marker");
    const id = await submitRun(js, "marker", { tag: TAG, params: { marker_path: marker } });
    await cancelRun(js, id);
    const t0 = performance.now();
    worker = await startWorker({ natsUrl: nats.url, tags: [TAG], workerId: "cancel-w", env: ENV, args: ["--concurrency", "10"] });
    const snap = await waitForRun(js, id);
    report("queued run, worker start → CANCELLED", performance.now() - t0);
    expect(snap.status).toBe("CANCELLED");
    expect(typeof snap.cancel_requested_at).toBe("number");
    expect(snap.worker_id).toBe("cancel-w");
    expect(existsSync(marker)).toBe(false);
    // Acknowledged (after the terminal write), not left for redelivery.
    await waitFor(async () => (await js.consumer(TAG))!.num_ack_pending === 0, { what: "job acknowledged" });
  });

  test("a run cancelled between its create and its job, with the worker watching, never executes", async () => {
    // The worker's watch sees both writes before the job arrives, so it starts from what the watch
    // brought (no pickup read): that must be the cancelled snapshot, not the PENDING one.
    const marker = join(scratch, "watched-marker");
    const runId = crypto.randomUUID();
    const now = Date.now() / 1000;
    const params = { marker_path: marker };
    await js.runs.create(runId, initialSnapshot({ runId, flowName: "marker", tag: TAG, tags: [TAG], params, now }));
    await cancelRun(js, runId);
    await sleep(200);   // both writes reach the worker's watch first
    await js.queue.publish(TAG, buildRunJob({ runId, flowName: "marker", tag: TAG, tags: [TAG], params, submittedAt: now }), runId);
    const snap = await waitForRun(js, runId);
    expect(snap.status).toBe("CANCELLED");
    expect(existsSync(marker)).toBe(false);
  });

  test("a pickup that starts from a stale snapshot (the cancel not seen yet) conflicts, re-reads and keeps the cancel", async () => {
    const runId = crypto.randomUUID();
    const now = Date.now() / 1000;
    const job = buildRunJob({ runId, flowName: "marker", tag: TAG, tags: [TAG], params: {}, submittedAt: now });
    const pending = initialSnapshot({ runId, flowName: "marker", tag: TAG, tags: [TAG], params: {}, now });
    const revision = await js.runs.create(runId, pending);
    await cancelRun(js, runId);   // written after the revision the pickup starts from
    const seen: RunSnapshot[] = [];
    const decoded = decodeRunJob(wireBytes(job));
    if (!decoded.ok) throw new Error(decoded.error);
    const desired = pickupSnapshot(pending, decoded.job, { workerId: "stale-w", attempt: 1 }, {}, now);
    const writer = new RunWriter(js.runs, runId, { value: pending, revision }, desired,
      { maxSnapshotBytes: 1 << 20, clock: systemClock, onStoredSeen: (s) => seen.push(s) });
    expect(await writer.write()).toEqual({ written: true });
    expect(seen.some((s) => typeof s.cancel_requested_at === "number")).toBe(true);
    const stored = (await js.runs.get(runId))!.value;
    expect(stored.status).toBe("CANCELLING");
    expect(typeof stored.cancel_requested_at).toBe("number");
  });

  test("cancel of a cooperative run (slow_coop) ends CANCELLED in under 2 s", async () => {
    const id = await submitRun(js, "slow_coop", { tag: TAG, params: { seconds: 30 } });
    await waitFor(async () => (await js.runs.get(id))?.value.tasks?.coop_wait === "RUNNING", { what: "coop_wait RUNNING" });
    const t0 = performance.now();
    await cancelRun(js, id);
    const snap = await waitForRun(js, id);
    const ms = performance.now() - t0;
    report("slow_coop → CANCELLED", ms);
    expect(snap.status).toBe("CANCELLED");
    expect(ms).toBeLessThan(2_000);
    expect(snap.tasks!.after).toBe("CANCELLED");
    expect(snap.error).toBeNull();
  });

  test("cancel of a run that ignores it (stubborn) kills the runner and its child after the grace period", async () => {
    const pidFile = join(scratch, "stubborn.json");
    const id = await submitRun(js, "stubborn", { tag: TAG, params: { pid_file: pidFile, seconds: 300 } });
    const pids = await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").includes("child")
      ? JSON.parse(readFileSync(pidFile, "utf8")) as { runner: number; child: number } : null, { what: "stubborn pid file" });
    expect(isAlive(pids.child)).toBe(true);
    const t0 = performance.now();
    await cancelRun(js, id);
    const snap = await waitForRun(js, id);
    report("stubborn (grace 1 s) → CANCELLED", performance.now() - t0);
    expect(snap.status).toBe("CANCELLED");
    expect(isAlive(pids.runner)).toBe(false);
    expect(isAlive(pids.child)).toBe(false);
    // The worker carries on with a fresh runner.
    const next = await submitRun(js, "hello", { tag: TAG });
    expect((await waitForRun(js, next)).status).toBe("COMPLETED");
  });

  test("a cancel during the only task (single_slow) ends CANCELLED, never a final CANCELLING", async () => {
    const id = await submitRun(js, "single_slow", { tag: TAG, params: { seconds: 30 } });
    await waitFor(async () => (await js.runs.get(id))?.value.tasks?.only_wait === "RUNNING", { what: "only_wait RUNNING" });
    const seen = recordStatuses(js, id);
    await seen.ready;
    const t0 = performance.now();
    await cancelRun(js, id);
    const snap = await waitForRun(js, id);
    report("single_slow → CANCELLED", performance.now() - t0);
    seen.stop();
    expect(snap.status).toBe("CANCELLED");
    // Once cancelling, progress writes never flicker back to RUNNING.
    const first = seen.statuses.indexOf("CANCELLING");
    expect(first).toBeGreaterThanOrEqual(0);
    expect(seen.statuses.slice(first).every((s) => s === "CANCELLING" || s === "CANCELLED")).toBe(true);
  });

  test("20 cancels racing with progress and heartbeat writes: none is lost", async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => submitRun(js, "slow_coop", { tag: TAG, params: { seconds: 20 } })));
    // Half of them running (concurrency 10), half queued; heartbeats every 0.1 s race with the cancels.
    await waitFor(async () => {
      const snaps = await Promise.all(ids.map((id) => js.runs.get(id)));
      return snaps.filter((s) => s?.value.status === "RUNNING").length >= 10;
    }, { what: "10 runs RUNNING" });
    const t0 = performance.now();
    await Promise.all(ids.map((id) => cancelRun(js, id)));
    const snaps = await Promise.all(ids.map((id) => waitForRun(js, id, undefined, 20_000)));
    report("20 racing cancels → all CANCELLED", performance.now() - t0);
    expect(snaps.map((s) => s.status)).toEqual(Array(20).fill("CANCELLED"));
  });

  test("a cancel after completion leaves the run COMPLETED", async () => {
    const id = await submitRun(js, "hello", { tag: TAG });
    expect((await waitForRun(js, id)).status).toBe("COMPLETED");
    await cancelRun(js, id);
    const after = (await js.runs.get(id))!.value;
    expect(after.status).toBe("COMPLETED");
    expect(after.cancel_requested_at ?? null).toBeNull();
  });
});
