/**
 * Worker throughput (decisions.md §5): one worker drains N queued trivial runs (`hello >> world`),
 * once with default settings and once in strict mode (`--max-runs-per-process 1`).
 * The clock starts when the worker logs "worker started" and stops at the last COMPLETED.
 * `--logs on|off` switches task logs (PYOCO_LOGS_ENABLED) on the worker; each run's `hello` task
 * prints one line, so "on" publishes one log line per run (docs/logs.md, "Cost").
 *   bun bench/worker-throughput.ts [--runs 500] [--logs on|off] [--strict on|off]
 */
import { parseArgs } from "node:util";
import { buildRunJob } from "../src/domain/job.ts";
import { initialSnapshot } from "../src/domain/run.ts";
import { PyocoJetStream } from "../src/jetstream/index.ts";
import { silentLogger } from "../src/lib/log.ts";
import { startNatsServer } from "../tests/helpers/nats-server.ts";
import { testSettings } from "../tests/helpers/settings.ts";
import { startWorker } from "../tests/helpers/worker.ts";

const { values } = parseArgs({ options: {
  runs: { type: "string", default: "500" }, logs: { type: "string", default: "on" }, strict: { type: "string", default: "on" },
} });
const N = Number(values.runs);
if (!["on", "off"].includes(values.logs!) || !["on", "off"].includes(values.strict!)) throw new Error("--logs and --strict take on|off");
const WORKER_ENV = { PYOCO_LOGS_ENABLED: values.logs === "on" ? "1" : "0" };

async function drain(label: string, tag: string, args: string[]): Promise<void> {
  const nats = await startNatsServer();
  const js = await PyocoJetStream.connect(testSettings(nats.url), { name: "bench", log: silentLogger });
  await js.ensureResources();
  const now = Date.now() / 1000;
  const ids = new Set<string>();
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, N - i) }, async () => {
      const runId = crypto.randomUUID();
      ids.add(runId);
      await js.runs.create(runId, initialSnapshot({ runId, flowName: "hello", tag, tags: [tag], params: {}, now }));
      await js.queue.publish(tag, buildRunJob({ runId, flowName: "hello", tag, tags: [tag], params: {}, submittedAt: now }), runId);
    }));
  }
  let left = ids.size;
  let allDone!: () => void;
  const finished = new Promise<void>((r) => { allDone = r; });
  const watch = js.runs.watchUpdates((e) => {
    if (e.value?.status === "COMPLETED" && ids.delete(e.key) && --left === 0) allDone();
  });
  await watch.ready;
  const worker = await startWorker({ natsUrl: nats.url, tags: [tag], workerId: `bench-${tag}`, args, env: WORKER_ENV });
  const t0 = performance.now();
  try {
    await finished;
    const sec = (performance.now() - t0) / 1000;
    console.log(`  ${label.padEnd(44)} ${N} runs in ${sec.toFixed(2)} s = ${(N / sec).toFixed(1)} runs/s`);
  } finally {
    watch.stop();
    await worker.stop();
    await js.close();
    await nats.stop();
  }
}

console.log(`worker throughput, one worker draining ${N} queued trivial 2-task runs (task logs ${values.logs}):`);
await drain("default (max-runs-per-process 100)", "tdefault", []);
console.log("    target ≥ 200 runs/s [original ≈ 105/s]");
if (values.strict === "on") {
  await drain("strict (--max-runs-per-process 1)", "tstrict", ["--max-runs-per-process", "1"]);
  console.log("    target ≥ 15 runs/s");
}
