/**
 * What replication costs: POST /runs throughput (gateway as its own process, C concurrent clients)
 * and one worker's drain rate (N queued trivial runs), on a single node and on a 3-node R3
 * cluster started by `pyoco nats up --cluster-port`, measured in one run, printed as a ratio.
 *
 *   bun bench/cluster-ratio.ts [--runs 5000] [--clients 32] [--drain 300]
 */
import { parseArgs } from "node:util";
import { buildRunJob } from "../src/domain/job.ts";
import { initialSnapshot } from "../src/domain/run.ts";
import { PyocoJetStream } from "../src/jetstream/index.ts";
import { silentLogger } from "../src/lib/log.ts";
import { startCluster } from "../tests/helpers/cluster.ts";
import { startNatsServer } from "../tests/helpers/nats-server.ts";
import { testSettings } from "../tests/helpers/settings.ts";
import { startWorker } from "../tests/helpers/worker.ts";
import { startGatewayProc } from "./gateway-proc.ts";

const { values } = parseArgs({ options: {
  runs: { type: "string", default: "5000" }, clients: { type: "string", default: "32" }, drain: { type: "string", default: "300" },
} });
const RUNS = Number(values.runs);
const CLIENTS = Number(values.clients);
const DRAIN = Number(values.drain);

async function submitRate(natsUrl: string): Promise<number> {
  const gw = await startGatewayProc(natsUrl);
  try {
    const body = JSON.stringify({ flow_name: "bench", params: { x: 1 }, tag: "bench" });
    const drive = async (n: number) => {
      let left = n;
      await Promise.all(Array.from({ length: CLIENTS }, async () => {
        while (left-- > 0) {
          const res = await fetch(`${gw.url}/runs`, { method: "POST", headers: { "content-type": "application/json" }, body });
          if (res.status !== 200) throw new Error(`submit answered ${res.status}`);
          await res.arrayBuffer();
        }
      }));
    };
    await drive(Math.min(1000, RUNS));
    const t0 = performance.now();
    await drive(RUNS);
    return RUNS / ((performance.now() - t0) / 1000);
  } finally { await gw.stop(); }
}

async function drainRate(natsUrl: string, tag: string): Promise<number> {
  const js = await PyocoJetStream.connect(testSettings(natsUrl), { name: "bench", log: silentLogger });
  await js.ensureResources();
  const now = Date.now() / 1000;
  const ids = new Set<string>();
  for (let i = 0; i < DRAIN; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, DRAIN - i) }, async () => {
      const runId = crypto.randomUUID();
      ids.add(runId);
      await js.runs.create(runId, initialSnapshot({ runId, flowName: "hello", tag, tags: [tag], params: {}, now }));
      await js.queue.publish(tag, buildRunJob({ runId, flowName: "hello", tag, tags: [tag], params: {}, submittedAt: now }), runId);
    }));
  }
  let left = ids.size;
  let allDone!: () => void;
  const finished = new Promise<void>((r) => { allDone = r; });
  const watch = js.runs.watchUpdates((e) => { if (e.value?.status === "COMPLETED" && ids.delete(e.key) && --left === 0) allDone(); });
  await watch.ready;
  const worker = await startWorker({ natsUrl, tags: [tag], workerId: `bench-${tag}` });
  const t0 = performance.now();
  try {
    await finished;
    return DRAIN / ((performance.now() - t0) / 1000);
  } finally {
    watch.stop();
    await worker.stop();
    await js.close();
  }
}

const single = await startNatsServer();
let one: { submit: number; drain: number };
try {
  one = { submit: await submitRate(single.url), drain: await drainRate(single.url, "single") };
} finally { await single.stop(); }

const cluster = await startCluster();
let r3: { submit: number; drain: number };
try {
  // Wait for the cluster's JetStream, then let the gateway create the R3 resources.
  const js = await PyocoJetStream.connectPatiently(testSettings(cluster.seedUrl), { name: "bench-wait", log: silentLogger });
  const replicas = new Set((await js.streamReports()).map((r) => r.replicas));
  await js.close();
  if (!replicas.has(3) || replicas.size !== 1) throw new Error(`expected R3 resources, got replicas ${[...replicas].join(",")}`);
  r3 = { submit: await submitRate(cluster.seedUrl), drain: await drainRate(cluster.seedUrl, "r3") };
} finally { await cluster.stop(); }

const f = (n: number) => n.toFixed(0).padStart(6);
console.log(`cluster ratio (POST /runs: ${RUNS} runs, ${CLIENTS} clients; drain: one worker, ${DRAIN} queued hello runs)`);
console.log(`                 single node   3-node R3   R3 / single`);
console.log(`  POST /runs/s        ${f(one.submit)}      ${f(r3.submit)}        ${(r3.submit / one.submit).toFixed(2)}`);
console.log(`  drain runs/s        ${f(one.drain)}      ${f(r3.drain)}        ${(r3.drain / one.drain).toFixed(2)}`);
