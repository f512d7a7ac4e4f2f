/**
 * Delivery guarantees and worker life cycle with real processes: runs longer than AckWait,
 * kill -9 of a worker mid-run, two workers sharing a tag, graceful SIGTERM, restart under the
 * same id. Each test uses its own tag (durables are per tag) and worker ids.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deriveWorkerState } from "../../../src/domain/worker-record.ts";
import { PyocoJetStream } from "../../../src/jetstream/index.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { testSettings } from "../../helpers/settings.ts";
import { startWorker, type StartedWorker } from "../../helpers/worker.ts";
import { cancelRun, submitRun, waitForRun } from "./support.ts";

setDefaultTimeout(30_000);

let nats: NatsServer;
let js: PyocoJetStream;
const started: StartedWorker[] = [];
let scratch: string;

async function worker(opts: Parameters<typeof startWorker>[0]): Promise<StartedWorker> {
  const w = await startWorker(opts);
  started.push(w);
  return w;
}

/** Processes whose command line mentions `needle` (a worker's --work-dir). */
function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      if (/\) Z /.test(stat)) continue;
      if (readFileSync(`/proc/${e}/cmdline`, "utf8").includes(needle)) out.push(Number(e));
    } catch { /* gone */ }
  }
  return out;
}

const executions = (w: StartedWorker, runId: string) => w.logs().filter((l) => l.run_id === runId && l.message === "run finished").length;

beforeAll(async () => {
  nats = await startNatsServer();
  js = await PyocoJetStream.connect(testSettings(nats.url), { name: "test", log: silentLogger });
  await js.ensureResources();
  scratch = mkdtempSync(join(tmpdir(), "pyoco-worker-test-"));
});

afterAll(async () => {
  await Promise.all(started.map((w) => w.stop()));
  await js?.close();
  await nats?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("delivery", () => {
  test("a run longer than AckWait (1 s) executes exactly once", async () => {
    const env = { PYOCO_CONSUMER_ACK_WAIT_SEC: "1" };
    const w = await worker({ natsUrl: nats.url, tags: ["longack"], workerId: "longack-1", env });
    const id = await submitRun(js, "sleepy", { tag: "longack", params: { seconds: 2.5 } });
    const snap = await waitForRun(js, id);
    expect(snap.status).toBe("COMPLETED");
    expect(snap.attempt).toBe(1);
    // Nothing left to redeliver: the message was never given up while it ran.
    const c = await waitFor(async () => {
      const info = await js.consumer("longack");
      return info!.num_ack_pending === 0 ? info : null;
    }, { what: "job acknowledged" });
    expect(c!.ack_wait).toBe(1_000_000_000);
    expect(c!.num_pending).toBe(0);
    await waitFor(() => executions(w, id) === 1, { what: "execution log" });
    expect(w.logs().some((l) => l.run_id === id && l.message === "delivery skipped")).toBe(false);
  });

  test("kill -9 of a worker mid-run: its runner dies with it, a second worker completes the run once; the first shows DISCONNECTED", async () => {
    const env = { PYOCO_CONSUMER_ACK_WAIT_SEC: "1", PYOCO_WORKER_HEARTBEAT_INTERVAL_SEC: "0.2", PYOCO_RUN_HEARTBEAT_INTERVAL_SEC: "0.2" };
    const workDir = join(scratch, "crashy");
    const tallyPath = join(scratch, "crashy.tally");
    const a = await worker({ natsUrl: nats.url, tags: ["crashy"], workerId: "crashy-a", env, args: ["--work-dir", workDir] });
    const id = await submitRun(js, "tally", { tag: "crashy", params: { seconds: 4, key: "crashy", tally_path: tallyPath } });
    await waitForRun(js, id, ["RUNNING"]);
    await waitFor(() => processesMentioning(workDir).length > 0, { what: "runner of crashy-a" });
    await a.kill9();
    // The orphaned runner must not finish the task (that would be a second execution): it dies
    // with its worker, long before the task's 4 s are over.
    await waitFor(() => processesMentioning(workDir).length === 0, { timeoutMs: 3_000, what: "orphaned runner gone" });
    const b = await worker({ natsUrl: nats.url, tags: ["crashy"], workerId: "crashy-b", env });
    const snap = await waitForRun(js, id, undefined, 15_000);
    expect(snap.status).toBe("COMPLETED");
    expect(snap.worker_id).toBe("crashy-b");
    expect(snap.attempt).toBe(2);
    await waitFor(() => executions(b, id) === 1, { what: "execution log of crashy-b" });
    expect(readFileSync(tallyPath, "utf8")).toBe("crashy\n");   // the task ran to its end exactly once
    const rec = await waitFor(async () => {
      const r = (await js.workers.get("crashy-a"))!.value;
      return deriveWorkerState(r, Date.now() / 1000, 1) === "DISCONNECTED" ? r : null;
    }, { timeoutMs: 5_000, what: "crashy-a DISCONNECTED" });
    expect(rec.state).toBe("RUNNING");   // stored state is what the dead worker last wrote
  });

  test("with default settings the worker creates its durable with AckWait 15 s (takeover after kill -9 within 15 s)", async () => {
    const w = await worker({ natsUrl: nats.url, tags: ["defaults"], workerId: "defaults-1" });
    expect((await js.consumer("defaults"))!.ack_wait).toBe(15_000_000_000);
    await w.stop();
  });

  test("two workers on one tag and 50 runs: every run executes exactly once", async () => {
    const w1 = await worker({ natsUrl: nats.url, tags: ["shared"], workerId: "shared-1" });
    const w2 = await worker({ natsUrl: nats.url, tags: ["shared"], workerId: "shared-2" });
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => submitRun(js, "add", { tag: "shared", params: { x: i } })));
    const snaps = await Promise.all(ids.map((id) => waitForRun(js, id, undefined, 30_000)));
    expect(snaps.every((s) => s.status === "COMPLETED" && s.attempt === 1)).toBe(true);
    snaps.forEach((s, i) => expect((s.task_records as any).to_text.output).toBe(`v=${i + 1}`));
    // Log lines travel through a pipe: wait until every run's line arrived, then count.
    await waitFor(() => ids.every((id) => executions(w1, id) + executions(w2, id) >= 1), { what: "execution logs" });
    for (const id of ids) expect(executions(w1, id) + executions(w2, id)).toBe(1);
  });

  test("a worker with two tags serves both while one is flooded", async () => {
    const w = await worker({ natsUrl: nats.url, tags: ["flood", "quiet"], workerId: "fair-1" });
    const flood = await Promise.all(Array.from({ length: 40 }, () => submitRun(js, "hello", { tag: "flood" })));
    const quiet = await submitRun(js, "hello", { tag: "quiet" });
    await waitForRun(js, quiet);
    const finishedFlood = (await Promise.all(flood.map((id) => js.runs.get(id)))).filter((s) => s?.value.status === "COMPLETED").length;
    expect(finishedFlood).toBeLessThan(40);   // the quiet tag did not wait for the flood to drain
    await Promise.all(flood.map((id) => waitForRun(js, id)));
    await waitFor(() => w.logs().filter((l) => l.message === "run finished").length === 41, { what: "41 execution logs" });
  });
});

describe("pull-ahead (prefetch)", () => {
  /** A worker alone on `tag` that has just finished a short run, then holds a long one (long enough for a second worker to start and serve meanwhile). */
  async function holderOfLongRun(tag: string, args: string[] = []) {
    const a = await worker({ natsUrl: nats.url, tags: [tag], workerId: `${tag}-a`, args });
    await waitForRun(js, await submitRun(js, "hello", { tag }));
    await waitFor(async () => (await js.consumer(tag))!.num_ack_pending === 0, { what: "short run acknowledged" });
    const long = await submitRun(js, "sleepy", { tag, params: { seconds: 6 } });
    await waitForRun(js, long, ["RUNNING"]);
    return { a, long };
  }
  const status = async (id: string) => (await js.runs.get(id))!.value;

  test("after a short run the worker pulls one job ahead; behind a long run only that one waits, the rest go to an idle worker", async () => {
    const { a, long } = await holderOfLongRun("ahead");
    const held = await submitRun(js, "hello", { tag: "ahead" });
    await waitFor(async () => { const c = (await js.consumer("ahead"))!; return c.num_pending === 0 && c.num_ack_pending === 2; }, { what: "one job pulled ahead" });
    const b = await worker({ natsUrl: nats.url, tags: ["ahead"], workerId: "ahead-b" });
    const others = await Promise.all([1, 2, 3].map(() => submitRun(js, "hello", { tag: "ahead" })));
    for (const id of others) expect((await waitForRun(js, id)).worker_id).toBe("ahead-b");
    // Still inside the long run: the job pulled ahead waits, PENDING (not shown as RUNNING).
    expect((await status(long)).status).toBe("RUNNING");
    expect((await status(held)).status).toBe("PENDING");
    const heldDone = await waitForRun(js, held);
    expect(heldDone).toMatchObject({ status: "COMPLETED", worker_id: "ahead-a", attempt: 1 });
    // Started once the long run had ended (start_time is stored to the millisecond, end_time is not).
    expect(heldDone.start_time!).toBeGreaterThanOrEqual((await status(long)).end_time! - 0.001);
    await waitFor(() => executions(a, held) + executions(b, held) === 1, { what: "one execution of the held job" });
  });

  test("a job that comes more than a second into a long run is not pulled ahead: it stays queued for an idle worker", async () => {
    const { long } = await holderOfLongRun("aheadlate");
    await Bun.sleep(2_000);   // well past the one short (1 s) pull ahead made when the long run started
    const late = await submitRun(js, "hello", { tag: "aheadlate" });
    await Bun.sleep(300);
    const c = (await js.consumer("aheadlate"))!;
    expect([c.num_pending, c.num_ack_pending]).toEqual([1, 1]);
    await worker({ natsUrl: nats.url, tags: ["aheadlate"], workerId: "aheadlate-b" });
    expect((await waitForRun(js, late)).worker_id).toBe("aheadlate-b");
    expect((await status(long)).status).toBe("RUNNING");
  });

  test("a run cancelled while it waits pulled ahead (its snapshot already read) never starts", async () => {
    const { long } = await holderOfLongRun("aheadcancel");
    const tally = join(scratch, "aheadcancel.tally");
    const held = await submitRun(js, "tally", { tag: "aheadcancel", params: { key: "held", tally_path: tally, seconds: 0 } });
    await waitFor(async () => { const c = (await js.consumer("aheadcancel"))!; return c.num_pending === 0 && c.num_ack_pending === 2; }, { what: "one job pulled ahead" });
    await cancelRun(js, held);
    expect((await waitForRun(js, long)).status).toBe("COMPLETED");
    const done = await waitForRun(js, held);
    expect(done.status).toBe("CANCELLED");
    await waitFor(async () => (await js.consumer("aheadcancel"))!.num_ack_pending === 0, { what: "held job settled" });
    expect(() => readFileSync(tally, "utf8")).toThrow();   // the task never ran
  });

  test("--no-prefetch: a worker busy with a run leaves the next job in the queue", async () => {
    await holderOfLongRun("noahead", ["--no-prefetch"]);
    const next = await submitRun(js, "hello", { tag: "noahead" });
    await Bun.sleep(300);   // a pull ahead would have taken it by now (it takes ~1 ms)
    const c = (await js.consumer("noahead"))!;
    expect([c.num_pending, c.num_ack_pending]).toEqual([1, 1]);
    await worker({ natsUrl: nats.url, tags: ["noahead"], workerId: "noahead-b" });
    expect((await waitForRun(js, next)).worker_id).toBe("noahead-b");
  });

  test("SIGTERM hands the job pulled ahead back at once; the running run still finishes", async () => {
    const { a, long } = await holderOfLongRun("aheadstop");
    const held = await submitRun(js, "hello", { tag: "aheadstop" });
    await waitFor(async () => { const c = (await js.consumer("aheadstop"))!; return c.num_pending === 0 && c.num_ack_pending === 2; }, { what: "one job pulled ahead" });
    const stopping = a.stop();
    await worker({ natsUrl: nats.url, tags: ["aheadstop"], workerId: "aheadstop-b" });
    const done = await waitForRun(js, held);
    expect(done.worker_id).toBe("aheadstop-b");
    expect((await status(long)).status).toBe("RUNNING");   // handed back without waiting for the drain
    expect(await stopping).toBe(0);
    expect((await status(long)).status).toBe("COMPLETED");
  });
});

describe("life cycle", () => {
  test("SIGTERM writes STOPPED_GRACEFUL with stop_reason graceful_shutdown and exits 0", async () => {
    const w = await worker({ natsUrl: nats.url, tags: ["life"], workerId: "life-1" });
    const id = await submitRun(js, "hello", { tag: "life" });
    await waitForRun(js, id);
    expect(await w.stop()).toBe(0);
    const rec = (await js.workers.get("life-1"))!.value;
    expect(rec.state).toBe("STOPPED_GRACEFUL");
    expect(rec.stop_reason).toBe("graceful_shutdown");
    expect(rec.current_run_id).toBeNull();
    expect(typeof rec.stopped_at).toBe("number");
  });

  test("SIGTERM during a run lets it finish (the worker reports RUNNING until then)", async () => {
    const w = await worker({ natsUrl: nats.url, tags: ["drain"], workerId: "drain-1", env: { PYOCO_WORKER_HEARTBEAT_INTERVAL_SEC: "0.2" } });
    const id = await submitRun(js, "sleepy", { tag: "drain", params: { seconds: 1 } });
    await waitForRun(js, id, ["RUNNING"]);
    const stopping = w.stop();
    await w.waitForLog((l) => l.message === "worker state changed" && l.to === "DRAINING");
    expect((await js.workers.get("drain-1"))!.value.state).toBe("RUNNING");
    expect(await stopping).toBe(0);
    expect((await js.runs.get(id))!.value.status).toBe("COMPLETED");
    const rec = (await js.workers.get("drain-1"))!.value;
    expect(rec).toMatchObject({ state: "STOPPED_GRACEFUL", stop_reason: "graceful_shutdown", last_run_id: id, last_run_status: "COMPLETED" });
  });

  test("a run that outlives --drain-timeout-sec is killed and handed back; stop_reason forced_shutdown", async () => {
    const w = await worker({ natsUrl: nats.url, tags: ["forced"], workerId: "forced-1", args: ["--drain-timeout-sec", "0.3"] });
    const id = await submitRun(js, "sleepy", { tag: "forced", params: { seconds: 30 } });
    await waitForRun(js, id, ["RUNNING"]);
    expect(await w.stop()).toBe(0);
    expect((await js.workers.get("forced-1"))!.value.stop_reason).toBe("forced_shutdown");
    const c = (await js.consumer("forced")) as { num_pending: number; num_ack_pending: number };
    expect(c.num_pending + c.num_ack_pending).toBe(1);   // back in the queue, not lost
    // The snapshot says so: waiting again (not RUNNING on a stopped worker) until a worker takes it.
    const requeued = (await js.runs.get(id))!.value;
    expect(requeued).toMatchObject({ status: "PENDING", requeue_reason: "worker_shutdown", worker_id: "forced-1", attempt: 1, tasks: {} });
    expect(typeof requeued.requeued_at).toBe("number");
    // Another worker picks it up (attempt 2); let it finish quickly by cancelling.
    const b = await worker({ natsUrl: nats.url, tags: ["forced"], workerId: "forced-2", env: { PYOCO_CANCEL_GRACE_PERIOD_SEC: "0.5" } });
    const taken = await waitFor(async () => { const v = (await js.runs.get(id))!.value; return v.attempt === 2 ? v : null; }, { what: "redelivered to forced-2" });
    expect(taken.status).toBe("RUNNING");
    expect("requeue_reason" in taken || "requeued_at" in taken).toBe(false);
    await js.runs.mutate(id, (s) => s && { ...s, status: "CANCELLING", cancel_requested_at: Date.now() / 1000 });
    expect((await waitForRun(js, id)).status).toBe("CANCELLED");
    await b.stop();
  });

  test("restart under the same id: IDLE, a new instance_id, hidden kept, last_run_* reset", async () => {
    const a = await worker({ natsUrl: nats.url, tags: ["restart"], workerId: "restart-1" });
    const id = await submitRun(js, "hello", { tag: "restart" });
    await waitForRun(js, id);
    const first = (await js.workers.get("restart-1"))!.value;
    await js.workers.mutate("restart-1", (r) => r && { ...r, hidden: true });   // operator: PATCH hidden
    await a.stop();
    const b = await worker({ natsUrl: nats.url, tags: ["restart"], workerId: "restart-1" });
    const rec = (await js.workers.get("restart-1"))!.value;
    expect(rec.state).toBe("IDLE");
    expect(rec.instance_id).not.toBe(first.instance_id);
    expect(rec.hidden).toBe(true);
    expect(rec.last_run_id).toBeNull();
    expect(rec.stop_reason).toBeNull();
    await b.stop();
  });
});
