/**
 * Fault: `kill -9` of a worker three times during a 200-run drain with two workers (each killed
 * worker is replaced at once, so two keep serving). Default consumer settings (AckWait 15 s).
 * Every run's task appends its key to a tally file when it runs to its end, so a second
 * execution (an orphaned runner finishing its task, or a redelivery of a finished run) shows.
 * Expected: 0 lost (all COMPLETED), 0 stuck (queue empty), 0 completed twice (each key once).
 *
 * Kills aim at three long runs (3 s), half a second after they started: the killed worker then
 * holds only that run and no finished run is in flight, so the only duplicates possible are the
 * ones this test is about.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../src/lib/async.ts";
import { startWorker, type StartedWorker } from "../helpers/worker.ts";
import { submitRun, workerBedForFile } from "../integration/worker/support.ts";

const TAG = "drain";
const RUNS = 200;
const LONG = new Set([30, 90, 150]);   // the kill targets
const scratch = mkdtempSync(join(tmpdir(), "pyoco-fault-kill-"));
const workers: StartedWorker[] = [];

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  rmSync(scratch, { recursive: true, force: true });
});
// Registered after the hook above so the workers stop before NATS does.
const bed = workerBedForFile();   // nats-server + client; the workers come and go in the test

test("kill -9 of a worker three times during a 200-run drain: 0 lost, 0 stuck, 0 completed twice", async () => {
  const { js, nats } = bed;
  let generation = 0;
  const live = new Map<string, StartedWorker>();
  const launch = async () => {
    const workerId = `drain-${generation++}`;
    const w = await startWorker({ natsUrl: nats.url, tags: [TAG], workerId });
    workers.push(w);
    live.set(workerId, w);
  };
  await Promise.all([launch(), launch()]);

  const tally = join(scratch, "tally");
  const ids: string[] = [];
  const longIds = new Map<string, number>();
  for (let i = 0; i < RUNS; i++) {
    const id = await submitRun(js, "tally", { tag: TAG, params: { key: i, tally_path: tally, seconds: LONG.has(i) ? 3 : 0.02 } });
    ids.push(id);
    if (LONG.has(i)) longIds.set(id, i);
  }

  // Kill the holder of each long run shortly after it started; replace it at once.
  const killed: string[] = [];
  for (const [id] of longIds) {
    const holder = await waitFor(async () => {
      const s = (await js.runs.get(id))?.value;
      return s?.status === "RUNNING" && live.has(String(s.worker_id)) ? String(s.worker_id) : null;
    }, { timeoutMs: 120_000, intervalMs: 20, what: `long run ${longIds.get(id)} RUNNING` });
    await Bun.sleep(500);   // not a synchronisation: the kill lands mid-task, clear of the previous run's settle
    await live.get(holder)!.kill9();
    live.delete(holder);
    killed.push(holder);
    await launch();
  }
  expect(killed).toHaveLength(3);

  const snaps = await waitFor(async () => {
    const all = await Promise.all(ids.map((id) => js.runs.get(id)));
    return all.every((s) => s?.value.status === "COMPLETED") ? all.map((s) => s!.value) : null;
  }, { timeoutMs: 150_000, intervalMs: 250, what: "all 200 runs COMPLETED" });
  expect(snaps).toHaveLength(RUNS);
  for (const id of longIds.keys()) expect(snaps[ids.indexOf(id)]!.attempt).toBe(2);   // taken over once, by redelivery

  // 0 stuck: nothing waiting or unacknowledged.
  await waitFor(async () => { const c = await js.consumer(TAG); return c!.num_pending === 0 && c!.num_ack_pending === 0; }, { timeoutMs: 30_000, what: "queue empty" });
  // 0 completed twice: every key exactly once in the tally.
  const lines = readFileSync(tally, "utf8").trim().split("\n");
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
  expect([...counts.entries()].filter(([, n]) => n > 1)).toEqual([]);
  expect(counts.size).toBe(RUNS);
}, 300_000);
