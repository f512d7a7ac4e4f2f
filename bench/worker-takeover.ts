/**
 * Takeover time after `kill -9` of a worker, with DEFAULT consumer settings (AckWait 15 s, our
 * in-progress acks every 5 s): two workers on one tag, a long run, kill -9 of the worker holding
 * it at a random moment of its ack cycle, then the time until the other worker owns the run
 * (snapshot RUNNING with the other `worker_id`, attempt 2). Repeated `--rounds` times.
 *   bun bench/worker-takeover.ts [--rounds 5]
 */
import { parseArgs } from "node:util";
import { PyocoJetStream } from "../src/jetstream/index.ts";
import { waitFor } from "../src/lib/async.ts";
import { silentLogger } from "../src/lib/log.ts";
import { startNatsServer } from "../tests/helpers/nats-server.ts";
import { testSettings } from "../tests/helpers/settings.ts";
import { startWorker, type StartedWorker } from "../tests/helpers/worker.ts";
import { submitRun } from "../tests/integration/worker/support.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "5" } } });
const rounds = Number(values.rounds);
const TAG = "takeover";
// Only the cancel grace is shortened (to end each round's run quickly); AckWait and acks are defaults.
const env = { PYOCO_CANCEL_GRACE_PERIOD_SEC: "0.5" };

const nats = await startNatsServer();
const js = await PyocoJetStream.connect(testSettings(nats.url), { name: "bench", log: silentLogger });
await js.ensureResources();
const workers = new Map<string, StartedWorker>();
const launch = async (id: string) => { workers.set(id, await startWorker({ natsUrl: nats.url, tags: [TAG], workerId: id, env })); };
const figures: number[] = [];
try {
  await launch("w-0");
  await launch("w-1");
  console.log(`consumer AckWait: ${(Number((await js.consumer(TAG))!.ack_wait) / 1e9).toFixed(1)} s`);
  for (let round = 0; round < rounds; round++) {
    const id = await submitRun(js, "sleepy", { tag: TAG, params: { seconds: 120 } });
    const holder = await waitFor(async () => {
      const s = (await js.runs.get(id))?.value;
      return s?.status === "RUNNING" ? String(s.worker_id) : null;
    }, { timeoutMs: 20_000, what: "run RUNNING" });
    await Bun.sleep(Math.random() * 5_000);   // a random point of the 5 s in-progress ack cycle
    const killedAt = performance.now();
    await workers.get(holder)!.kill9();
    const taker = await waitFor(async () => {
      const s = (await js.runs.get(id))?.value;
      return s?.status === "RUNNING" && s.worker_id !== holder ? String(s.worker_id) : null;
    }, { timeoutMs: 60_000, intervalMs: 20, what: "takeover" });
    const ms = performance.now() - killedAt;
    figures.push(ms);
    console.log(`round ${round + 1}: killed ${holder}, ${taker} took the run over after ${(ms / 1000).toFixed(2)} s`);
    await js.runs.mutate(id, (s) => s && { ...s, status: "CANCELLING", cancel_requested_at: Date.now() / 1000 });
    await waitFor(async () => (await js.runs.get(id))?.value.status === "CANCELLED", { timeoutMs: 20_000, what: "cancelled" });
    await launch(holder);
  }
  const sorted = [...figures].sort((a, b) => a - b);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`takeover after kill -9 (${rounds} rounds): min ${s(sorted[0]!)}, median ${s(sorted[Math.floor(sorted.length / 2)]!)}, max ${s(sorted.at(-1)!)}`);
} finally {
  await Promise.all([...workers.values()].map((w) => w.stop()));
  await js.close();
  await nats.stop();
}
