/**
 * Worker latency with a warm runner (decisions.md §5): submit → RUNNING and submit → COMPLETED of a
 * trivial 2-task run (`hello >> world`), one at a time, seen through a KV watch of the runs bucket.
 * Runs are submitted exactly as the gateway writes them (PENDING snapshot + job publish).
 * `--logs on|off` switches task logs (PYOCO_LOGS_ENABLED) on the worker; the `hello` task prints
 * one line, so "on" publishes (and awaits, before the terminal write) one log line per run.
 *   bun bench/worker-latency.ts [--runs 200] [--logs on|off]
 */
import { parseArgs } from "node:util";
import { PyocoJetStream } from "../src/jetstream/index.ts";
import { silentLogger } from "../src/lib/log.ts";
import { startNatsServer } from "../tests/helpers/nats-server.ts";
import { testSettings } from "../tests/helpers/settings.ts";
import { startWorker } from "../tests/helpers/worker.ts";
import { initialSnapshot } from "../src/domain/run.ts";
import { buildRunJob } from "../src/domain/job.ts";


const { values } = parseArgs({ options: { runs: { type: "string", default: "200" }, logs: { type: "string", default: "on" } } });
const N = Number(values.runs);
if (!["on", "off"].includes(values.logs!)) throw new Error("--logs takes on|off");

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const nats = await startNatsServer();
const js = await PyocoJetStream.connect(testSettings(nats.url), { name: "bench", log: silentLogger });
await js.ensureResources();
const worker = await startWorker({ natsUrl: nats.url, tags: ["bench"], workerId: "bench-latency", env: { PYOCO_LOGS_ENABLED: values.logs === "on" ? "1" : "0" } });
const waiters = new Map<string, { running?: number; done: (t: { running: number; completed: number }) => void }>();
const watch = js.runs.watchUpdates((e) => {
  const w = waiters.get(e.key);
  if (!w || !e.value) return;
  const now = performance.now();
  if (e.value.status === "RUNNING" && w.running === undefined) w.running = now;
  if (e.value.status === "COMPLETED") { waiters.delete(e.key); w.done({ running: w.running ?? now, completed: now }); }
});
await watch.ready;
try {
  const toRunning: number[] = [];
  const toCompleted: number[] = [];
  for (let i = 0; i < N + 10; i++) {
    const t0 = performance.now();
    const id = crypto.randomUUID();   // registered before the submit, so no watch event is missed
    const done = new Promise<{ running: number; completed: number }>((resolve) => waiters.set(id, { done: resolve }));
    await submitWithId(id);
    const t = await done;
    if (i >= 10) { toRunning.push(t.running - t0); toCompleted.push(t.completed - t0); }   // first 10 = warm-up
  }
  const f = (x: number) => x.toFixed(2);
  console.log(`worker latency, ${N} sequential trivial 2-task runs, warm runner (maxRunsPerProcess 100), task logs ${values.logs}:`);
  console.log(`  submit → RUNNING    p50 ${f(pct(toRunning, 50))} ms  p99 ${f(pct(toRunning, 99))} ms  (target p50 ≤ 5, p99 ≤ 25)`);
  console.log(`  submit → COMPLETED  p50 ${f(pct(toCompleted, 50))} ms  p99 ${f(pct(toCompleted, 99))} ms  (target p50 ≤ 10, p99 ≤ 50)`);
} finally {
  watch.stop();
  await worker.stop();
  await js.close();
  await nats.stop();
}

async function submitWithId(runId: string) {
  const now = Date.now() / 1000;
  await js.runs.create(runId, initialSnapshot({ runId, flowName: "hello", tag: "bench", tags: ["bench"], params: {}, now }));
  await js.queue.publish("bench", buildRunJob({ runId, flowName: "hello", tag: "bench", tags: ["bench"], params: {}, submittedAt: now }), runId);
}

