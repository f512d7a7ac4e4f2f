/**
 * Run list performance at scale (decisions.md §5 targets: a 50-row filtered, sorted page p95 ≤ 20 ms
 * at 100,000 runs; gateway start → index ready ≤ 5 s; RSS ≤ 250 MB). Fills the runs bucket with
 * worker-like snapshots through pipelined KV puts, starts the gateway as its own process, times
 * start → `index_ready`, then times list pages (filter + sort, cursor pages, include=full).
 *
 *   bun bench/list-latency.ts [--sizes 10000,100000] [--requests 300]
 */
import { parseArgs } from "node:util";
import type { RunSnapshot } from "../src/domain/run.ts";
import { PyocoJetStream } from "../src/jetstream/index.ts";
import { waitFor } from "../src/lib/async.ts";
import { silentLogger } from "../src/lib/log.ts";
import { startNatsServer } from "../tests/helpers/nats-server.ts";
import { testSettings } from "../tests/helpers/settings.ts";
import { percentile, startGatewayProc } from "./gateway-proc.ts";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "10000,100000" }, requests: { type: "string", default: "300" } } });
const sizes = values.sizes!.split(",").map(Number).sort((a, b) => a - b);
const requests = Number(values.requests);

const STATUSES = ["COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED", "FAILED", "RUNNING", "PENDING"];
const t0 = Date.now() / 1000 - 30 * 86400;

function snapshot(i: number): RunSnapshot {
  const runId = crypto.randomUUID();
  const updated = t0 + i * 7.3 + Math.random();
  const status = STATUSES[i % STATUSES.length]!;
  return {
    run_id: runId, flow_name: `flow${i % 5}`, tag: `tag${i % 10}`, tags: [`tag${i % 10}`], tenant_id: null, api_key_id: null,
    workflow_yaml_sha256: null, workflow_yaml_bytes: null, schedule_id: null, status, params: { x: i, name: "bench" },
    tasks: { extract: "SUCCEEDED", transform: status === "FAILED" ? "FAILED" : "SUCCEEDED" },
    task_records: {
      extract: { state: "SUCCEEDED", started_at: updated - 2, ended_at: updated - 1, duration_ms: 1000, error: null, traceback: null, inputs: { x: i }, output: i + 1, artifacts: {} },
      transform: { state: "SUCCEEDED", started_at: updated - 1, ended_at: updated, duration_ms: 900, error: null, traceback: null, inputs: { extract: i + 1 }, output: `v=${i}`, artifacts: {} },
    },
    start_time: updated - 2, end_time: status === "RUNNING" || status === "PENDING" ? null : updated, heartbeat_at: updated, updated_at: updated,
    error: status === "FAILED" ? "ValueError: bad input" : null, worker_id: `worker-${i % 4}`,
  };
}

/** Put `count` snapshots with up to 512 writes in flight. */
async function fill(js: PyocoJetStream, from: number, count: number): Promise<number> {
  const started = performance.now();
  let next = from;
  const end = from + count;
  await Promise.all(Array.from({ length: 512 }, async () => {
    while (next < end) { const s = snapshot(next++); await js.runs.put(s.run_id, s); }
  }));
  return (performance.now() - started) / 1000;
}

async function timeQuery(url: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  await res.arrayBuffer();
  return performance.now() - started;
}

const nats = await startNatsServer();
const js = await PyocoJetStream.connect(testSettings(nats.url), { name: "bench-fill", log: silentLogger });
await js.ensureResources();
try {
  let filled = 0;
  for (const size of sizes) {
    const seconds = await fill(js, filled, size - filled);
    console.log(`fill: ${size - filled} snapshots in ${seconds.toFixed(1)} s (${Math.round((size - filled) / seconds)} puts/s), bucket now ${size}`);
    filled = size;

    const gw = await startGatewayProc(nats.url);
    try {
      await waitFor(async () => ((await (await fetch(`${gw.url}/health`)).json()) as { index_ready: boolean }).index_ready, { timeoutMs: 60_000, intervalMs: 5, what: "index ready" });
      const readyS = (performance.now() - gw.startedAt) / 1000;
      console.log(`[${size} runs] gateway start -> index ready: ${readyS.toFixed(2)} s (target <= 5 s at 100,000)`);
      console.log(`[${size} runs] gateway RSS with the index built: ${gw.rssMb().toFixed(0)} MB (target <= 250 MB at 100,000)`);

      const queries: Record<string, () => string> = {
        "status filter + sort": () => `${gw.url}/runs?status=FAILED&limit=50`,
        "tag + status, page shape": () => `${gw.url}/runs?tag=tag${Math.floor(Math.random() * 10)}&status=COMPLETED&updated_after=0&limit=50`,
        "rare filter (flow+tag+status)": () => `${gw.url}/runs?flow=flow1&tag=tag3&status=RUNNING&limit=50`,
        "no match (full scan)": () => `${gw.url}/runs?tag=none&limit=50`,
        "include=full": () => `${gw.url}/runs?status=COMPLETED&include=full&limit=50`,
      };
      const all: number[] = [];
      for (const [name, url] of Object.entries(queries)) {
        for (let i = 0; i < 20; i++) await timeQuery(url());   // warm-up
        const samples: number[] = [];
        for (let i = 0; i < requests; i++) samples.push(await timeQuery(url()));
        samples.sort((a, b) => a - b);
        all.push(...samples);
        console.log(`[${size} runs] list ${name}: p50 ${percentile(samples, 50).toFixed(2)} ms, p95 ${percentile(samples, 95).toFixed(2)} ms`);
      }
      // Deep paging: follow next_cursor 40 pages down.
      let cursor = "";
      const pages: number[] = [];
      for (let i = 0; i < 40 && cursor !== null; i++) {
        const started = performance.now();
        const page = (await (await fetch(`${gw.url}/runs?status=COMPLETED&limit=50&cursor=${cursor}`)).json()) as { next_cursor: string | null };
        pages.push(performance.now() - started);
        cursor = page.next_cursor as string;
      }
      pages.sort((a, b) => a - b);
      console.log(`[${size} runs] list cursor pages (40 deep): p50 ${percentile(pages, 50).toFixed(2)} ms, p95 ${percentile(pages, 95).toFixed(2)} ms`);
      all.sort((a, b) => a - b);
      console.log(`[${size} runs] list all queries: p50 ${percentile(all, 50).toFixed(2)} ms, p95 ${percentile(all, 95).toFixed(2)} ms (target p95 <= 20 ms at 100,000)`);
      console.log(`[${size} runs] gateway RSS right after the queries: ${gw.rssMb().toFixed(0)} MB`);
      await Bun.sleep(5000);   // let the engine collect and return the queries' garbage
      console.log(`[${size} runs] gateway RSS 5 s after the queries: ${gw.rssMb().toFixed(0)} MB`);
    } finally { await gw.stop(); }
  }
} finally {
  await js.close();
  await nats.stop();
}
