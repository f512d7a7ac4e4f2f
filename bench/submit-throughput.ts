/**
 * POST /runs throughput with no worker (decisions.md §5 target: ≥ 60 % of the raw JetStream floor
 * of bench/jetstream-floor.ts at the same concurrency, p99 ≤ 25 ms at 16 clients; the original ≈ 1,300/s). Starts a nats-server and the gateway as its own
 * process, warms up, then C concurrent clients submit N runs in total. Prints runs/s and latency.
 *
 *   bun bench/submit-throughput.ts [--runs 20000] [--clients 64]
 * The gateway logs at WARNING; BENCH_LOG_LEVEL=INFO includes its one log line per submit.
 */
import { parseArgs } from "node:util";
import { startNatsServer } from "../tests/helpers/nats-server.ts";
import { percentile, startGatewayProc } from "./gateway-proc.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "20000" }, clients: { type: "string", default: "64" } } });
const total = Number(values.runs);
const clients = Number(values.clients);

const nats = await startNatsServer();
const gw = await startGatewayProc(nats.url, process.env.BENCH_LOG_LEVEL ? { PYOCO_LOG_LEVEL: process.env.BENCH_LOG_LEVEL } : {});
try {
  const body = JSON.stringify({ flow_name: "bench", params: { x: 1, name: "alice" }, tag: "bench" });
  const submit = async (): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(`${gw.url}/runs`, { method: "POST", headers: { "content-type": "application/json" }, body });
    if (res.status !== 200) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
    return performance.now() - t0;
  };
  const drive = async (n: number): Promise<number[]> => {
    let left = n;
    const latencies: number[] = [];
    await Promise.all(Array.from({ length: clients }, async () => {
      while (left-- > 0) latencies.push(await submit());
    }));
    return latencies;
  };

  await drive(Math.min(2000, total));   // warm-up: JIT, connections, stream files
  const t0 = performance.now();
  const latencies = (await drive(total)).sort((a, b) => a - b);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`submit throughput: ${Math.round(total / seconds)} runs/s (${total} runs, ${clients} clients, ${seconds.toFixed(2)} s; target >= 60 % of bench/jetstream-floor.ts)`);
  console.log(`submit latency: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`);
  console.log(`gateway RSS after the run: ${gw.rssMb().toFixed(0)} MB`);
} finally {
  await gw.stop();
  await nats.stop();
}
