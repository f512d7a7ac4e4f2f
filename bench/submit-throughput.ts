/**
 * POST /runs throughput with no worker (decisions.md §5 target: ≥ 60 % of the raw JetStream floor
 * at the same concurrency, p99 ≤ 25 ms at 16 clients; the original ≈ 1,300/s). Starts a
 * nats-server and the gateway as its own process, warms up, then C concurrent clients submit N
 * runs in total. With `--rounds R` (default 3) the floor (bench/jetstream-floor.ts: the same KV
 * create + job publish straight through NATS.js, same clients) and the gateway are measured in
 * turn on the same nats-server, R times each, so both see the same machine and the same stream
 * sizes; medians are printed and the ratio is the median of the rounds' ratios.
 *
 *   bun bench/submit-throughput.ts [--runs 20000] [--clients 64] [--rounds 3]
 * The gateway logs at WARNING; BENCH_LOG_LEVEL=INFO includes its one log line per submit.
 */
import { parseArgs } from "node:util";
import { startNatsServer } from "../tests/helpers/nats-server.ts";
import { submitFloor } from "./jetstream-floor.ts";
import { percentile, startGatewayProc } from "./gateway-proc.ts";

const { values } = parseArgs({ options: {
  runs: { type: "string", default: "20000" }, clients: { type: "string", default: "64" }, rounds: { type: "string", default: "3" },
} });
const total = Number(values.runs);
const clients = Number(values.clients);
const rounds = Math.max(1, Number(values.rounds));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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
  const ours: number[] = [];
  const floors: number[] = [];
  const ratios: number[] = [];
  const floorP99: number[] = [];
  const latencies: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    const floor = await submitFloor(nats.url, { total, clients, tag: "floor" });
    const t0 = performance.now();
    latencies.push(...await drive(total));
    const perSec = total / ((performance.now() - t0) / 1000);
    ours.push(perSec);
    floors.push(floor.perSec);
    floorP99.push(floor.p99);
    ratios.push(perSec / floor.perSec);
    console.log(`round ${r}: floor ${Math.round(floor.perSec)} runs/s, pyoco ${Math.round(perSec)} runs/s (${(perSec / floor.perSec * 100).toFixed(0)} %)`);
  }
  latencies.sort((a, b) => a - b);
  console.log(`submit throughput: ${Math.round(median(ours))} runs/s (median of ${rounds} rounds of ${total} runs, ${clients} clients)`);
  console.log(`submit floor (same server, interleaved): ${Math.round(median(floors))} runs/s, p99 ${median(floorP99).toFixed(2)} ms`);
  console.log(`submit ratio: ${(median(ratios) * 100).toFixed(0)} % of the floor (median of the rounds' ratios; target >= 60 %)`);
  console.log(`submit latency: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`);
  console.log(`gateway RSS after the run: ${gw.rssMb().toFixed(0)} MB`);
} finally {
  await gw.stop();
  await nats.stop();
}
