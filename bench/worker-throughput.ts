/**
 * Worker throughput (decisions.md §5): one worker drains N queued trivial runs (`hello >> world`),
 * once with default settings and once in strict mode (`--max-runs-per-process 1`).
 * The workers start on an empty queue; the clock runs from the first job queued to the last COMPLETED.
 * `--logs on|off` switches task logs (PYOCO_LOGS_ENABLED) on the worker; each run's `hello` task
 * prints one line, so "on" publishes one log line per run (docs/logs.md, "Cost").
 * `--workers 1,2,4` also drains the queue with that many workers on one tag (scaling; the clock
 * starts when the last of them is ready). `--strict-runs` sets the queue size of strict mode.
 *   bun bench/worker-throughput.ts [--runs 500] [--logs on|off] [--strict on|off] [--strict-runs 150] [--workers 1,2,4] [--default on|off] [--repeat 3] [--worker-args=--no-prefetch]
 */
import { parseArgs } from "node:util";
import { buildRunJob } from "../src/domain/job.ts";
import { initialSnapshot } from "../src/domain/run.ts";
import { PyocoJetStream } from "../src/jetstream/index.ts";
import { sleep } from "../src/lib/async.ts";
import { silentLogger } from "../src/lib/log.ts";
import { startNatsServer } from "../tests/helpers/nats-server.ts";
import { testSettings } from "../tests/helpers/settings.ts";
import { startWorker } from "../tests/helpers/worker.ts";

const { values } = parseArgs({ options: {
  runs: { type: "string", default: "500" }, logs: { type: "string", default: "on" }, strict: { type: "string", default: "on" },
  "strict-runs": { type: "string", default: "150" }, workers: { type: "string", default: "" }, default: { type: "string", default: "on" },
  "worker-args": { type: "string", default: "" }, repeat: { type: "string", default: "3" },
} });
/** Drains of the default settings (each on a fresh nats-server and worker); the median is the figure: this machine's wall times vary ±20 % minute to minute. */
const REPEAT = Math.max(1, Number(values.repeat));
/** Extra `pyoco worker` flags for every worker started (A/B comparisons, e.g. "--no-prefetch"). */
const EXTRA_ARGS = values["worker-args"]!.split(" ").filter(Boolean);
const RUNS = Number(values.runs);
if (!["on", "off"].includes(values.logs!) || !["on", "off"].includes(values.strict!)) throw new Error("--logs and --strict take on|off");
const WORKER_ENV = { PYOCO_LOGS_ENABLED: values.logs === "on" ? "1" : "0" };

/**
 * Drain N trivial runs on one tag. `queuedFirst` (one worker): every job is queued before the
 * worker starts, and the rate is taken from its first COMPLETED to its last ((N - 1) runs), so
 * neither the worker's start nor the queuing is in it: the "500 queued runs". Otherwise
 * the workers start first on an empty queue (with a moment for their spare runners to warm up),
 * then the jobs are queued as fast as NATS takes them and the clock runs from the first publish to
 * the last COMPLETED (queuing first would let the first worker drain before the others are up).
 */
async function drain(label: string, tag: string, args: string[], o: { n?: number; workers?: number; queuedFirst?: boolean } = {}): Promise<number> {
  const N = o.n ?? RUNS;
  const workers = o.workers ?? 1;
  const nats = await startNatsServer();
  const js = await PyocoJetStream.connect(testSettings(nats.url), { name: "bench", log: silentLogger });
  await js.ensureResources();
  const ids = new Set<string>();
  let left = N;
  let firstDoneAt = 0;
  let allDone!: () => void;
  const finished = new Promise<void>((r) => { allDone = r; });
  const watch = js.runs.watchUpdates((e) => {
    if (e.value?.status !== "COMPLETED" || !ids.delete(e.key)) return;
    if (left === N) firstDoneAt = performance.now();
    if (--left === 0) allDone();
  });
  await watch.ready;
  const startWorkers = () => Promise.all(Array.from({ length: workers }, (_, i) =>
    startWorker({ natsUrl: nats.url, tags: [tag], workerId: `bench-${tag}-${i}`, args: [...args, ...EXTRA_ARGS], env: WORKER_ENV })));
  const queueAll = async () => {
    const now = Date.now() / 1000;
    for (let i = 0; i < N; i += 200) {
      await Promise.all(Array.from({ length: Math.min(200, N - i) }, async () => {
        const runId = crypto.randomUUID();
        ids.add(runId);
        await js.runs.create(runId, initialSnapshot({ runId, flowName: "hello", tag, tags: [tag], params: {}, now }));
        await js.queue.publish(tag, buildRunJob({ runId, flowName: "hello", tag, tags: [tag], params: {}, submittedAt: now }), runId);
      }));
    }
  };
  let started: Awaited<ReturnType<typeof startWorkers>> = [];
  let t0 = 0;
  if (o.queuedFirst) {
    await queueAll();
    started = await startWorkers();
  } else {
    started = await startWorkers();
    await sleep(1_000);
    t0 = performance.now();
    await queueAll();
  }
  try {
    await finished;
    const end = performance.now();
    const [runs, sec] = o.queuedFirst ? [N - 1, (end - firstDoneAt) / 1000] : [N, (end - t0) / 1000];
    const how = o.queuedFirst ? "first → last COMPLETED" : "first publish → last COMPLETED";
    console.log(`  ${label.padEnd(44)} ${runs} runs in ${sec.toFixed(2)} s = ${(runs / sec).toFixed(1)} runs/s (${how})`);
    return runs / sec;
  } finally {
    watch.stop();
    await Promise.all(started.map((w) => w.stop()));
    await js.close();
    await nats.stop();
  }
}

console.log(`worker throughput, one worker draining ${RUNS} queued trivial 2-task runs (task logs ${values.logs}):`);
if (values.default === "on") {
  const rates: number[] = [];
  for (let i = 1; i <= REPEAT; i++) rates.push(await drain(REPEAT > 1 ? `default settings, drain ${i}` : "default settings", `tdefault${i}`, [], { queuedFirst: true }));
  if (REPEAT > 1) {
    const median = [...rates].sort((a, b) => a - b)[Math.floor(REPEAT / 2)]!;
    console.log(`  ${"default settings".padEnd(44)} median of ${REPEAT} drains = ${median.toFixed(1)} runs/s`);
  }
  console.log("    target ≥ 400 runs/s [original ≈ 105–122/s]");
}
if (values.strict === "on") {
  await drain("strict (--max-runs-per-process 1)", "tstrict", ["--max-runs-per-process", "1"], { n: Number(values["strict-runs"]), queuedFirst: true });
  console.log("    target ≥ 15 runs/s");
}
const counts = values.workers ? values.workers.split(",").map(Number) : [];
let single = 0;
for (const k of counts) {
  const perSec = await drain(`${k} worker(s) on one tag`, `tscale${k}`, [], { n: RUNS * k, workers: k });
  if (k === counts[0]) single = perSec / k;
  console.log(`    scaling: ${k} worker(s) ${perSec.toFixed(1)} runs/s, efficiency ${(perSec / k / single * 100).toFixed(0)} % of ${counts[0]} worker(s) per worker`);
}
