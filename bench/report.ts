/**
 * Every bench in one go, one table (decisions.md §5, docs/performance.md): figure, target, what
 * was measured, the raw JetStream floor measured in the same run where one applies, the ratio
 * measured/floor, and the machine's 1-minute load average when the figure was taken. Each bench
 * runs as its own process (its own nats-server, gateway and workers), one after the other.
 *   bun bench/report.ts            # full sizes, a few minutes on a quiet 2-core machine
 *   bun bench/report.ts --quick    # small sizes, about a minute; figures are rougher
 * Targets are met or not on a quiet machine only: read the load column before the verdict.
 */
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
const quick = values.quick!;
const size = {
  submitRuns: quick ? 3000 : 20000,
  submitRuns16: quick ? 2000 : 10000,
  latencyRuns: quick ? 50 : 200,
  workerRuns: quick ? 200 : 500,
  strictRuns: quick ? 40 : 150,
  scaleRuns: quick ? 150 : 500,
  listSizes: quick ? "10000" : "100000",
  listRequests: quick ? 100 : 300,
  sseWrites: quick ? 100 : 300,
  sseWatchers: quick ? 50 : 200,
};

interface Row { figure: string; target: string; value: string; floor: string; ratio: string; load: string; verdict: string }
const rows: Row[] = [];
const failures: string[] = [];

async function bench(script: string, args: string[]): Promise<{ out: string; load: number }> {
  const started = performance.now();
  process.stderr.write(`running bench/${script} ${args.join(" ")} ...`);
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, script), ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, PYOCO_LOAD_DOTENV: "0" } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const load = loadavg()[0]!;
  process.stderr.write(` ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  if (code !== 0) failures.push(`bench/${script} exited ${code}: ${(err || out).trim().split("\n").slice(-5).join(" | ")}`);
  return { out, load };
}

function num(out: string, re: RegExp, group = 1): number | null {
  const m = re.exec(out);
  return m ? Number(m[group]) : null;
}

const fmt = (x: number | null, digits = 1) => (x === null || !Number.isFinite(x) ? "–" : x >= 100 ? x.toFixed(0) : x.toFixed(digits));

/**
 * `atLeast`: bigger is better. `floor` (optional) turns the ratio into the thing the target is
 * about; `ratio` given by the bench itself (median of per-round ratios) wins over value / floor.
 */
function row(figure: string, value: number | null, unit: string, load: number, o: { target: string; limit?: number; atLeast?: boolean; floor?: number | null; ratioTarget?: number; ratio?: number | null }) {
  const ratio = o.ratio ?? (value !== null && o.floor ? value / o.floor : null);
  let ok: boolean | null = null;
  if (value !== null && o.limit !== undefined) ok = o.atLeast ? value >= o.limit : value <= o.limit;
  if (ratio !== null && o.ratioTarget !== undefined) ok = ratio >= o.ratioTarget;
  rows.push({
    figure, target: o.target, value: value === null ? "–" : `${fmt(value, 2)} ${unit}`,
    floor: o.floor ? `${fmt(o.floor, 2)} ${unit}` : "", ratio: ratio === null ? "" : `${(ratio * 100).toFixed(0)} %`,
    load: load.toFixed(1), verdict: ok === null ? "" : ok ? "met" : "NOT met",
  });
}

const t0 = performance.now();
console.log(`pyoco bench report (${quick ? "--quick" : "full"}), ${cpus().length} CPUs, load average at start ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);

// 1. Submit: the gateway and the raw floor (same KV create + publish straight through NATS.js,
// same clients) measured in turn on one nats-server, three rounds each (submit-throughput.ts).
const submitRow = (clients: number, out: string, load: number) => {
  const floor = num(out, /submit floor \(same server, interleaved\): (\d+) runs\/s/);
  const ratio = num(out, /submit ratio: (\d+) %/);
  row(`POST /runs, ${clients} clients`, num(out, /submit throughput: (\d+) runs\/s/), "runs/s", load,
    { target: "≥ 60 % of floor", floor, ratioTarget: 0.6, ratio: ratio === null ? null : ratio / 100 });
};
const submit64 = await bench("submit-throughput.ts", ["--runs", String(size.submitRuns), "--clients", "64"]);
submitRow(64, submit64.out, submit64.load);
const submit16 = await bench("submit-throughput.ts", ["--runs", String(size.submitRuns16), "--clients", "16"]);
submitRow(16, submit16.out, submit16.load);
row("POST /runs p99, 16 clients", num(submit16.out, /submit latency: p50 [\d.]+ ms, p99 ([\d.]+) ms/), "ms", submit16.load,
  { target: "≤ 25 ms", limit: 25, floor: num(submit16.out, /interleaved\): \d+ runs\/s, p99 ([\d.]+) ms/) });
const floorW = await bench("jetstream-floor.ts", ["--runs", "2000", "--clients", "16", "--worker-runs", String(size.workerRuns), "--concurrency", "1"]);
const floorWorker = num(floorW.out, /worker floor: (\d+) runs\/s/);

// 2. Worker latency (one at a time, warm runner, default settings).
const lat = await bench("worker-latency.ts", ["--runs", String(size.latencyRuns)]);
row("submit → RUNNING p50", num(lat.out, /RUNNING\s+p50 ([\d.]+) ms/), "ms", lat.load, { target: "≤ 5 ms", limit: 5 });
row("submit → RUNNING p99", num(lat.out, /RUNNING\s+p50 [\d.]+ ms\s+p99 ([\d.]+) ms/), "ms", lat.load, { target: "≤ 25 ms", limit: 25 });
row("submit → COMPLETED p50", num(lat.out, /COMPLETED\s+p50 ([\d.]+) ms/), "ms", lat.load, { target: "≤ 5 ms", limit: 5 });
row("submit → COMPLETED p99", num(lat.out, /COMPLETED\s+p50 [\d.]+ ms\s+p99 ([\d.]+) ms/), "ms", lat.load, { target: "≤ 25 ms", limit: 25 });

// 3. Worker throughput: default settings against the worker floor (same NATS work, same concurrency), strict, scaling.
const wt = await bench("worker-throughput.ts", ["--runs", String(size.workerRuns), "--strict-runs", String(size.strictRuns)]);
row(`one worker, ${size.workerRuns} queued runs (median of 3)`, num(wt.out, /default settings\s+median of \d+ drains = ([\d.]+) runs\/s/), "runs/s", wt.load, { target: "≥ 400 runs/s", limit: 400, atLeast: true, floor: floorWorker });
row("one worker, strict mode", num(wt.out, /strict \(--max-runs-per-process 1\)\s+\d+ runs in [\d.]+ s = ([\d.]+) runs\/s/), "runs/s", wt.load, { target: "≥ 15 runs/s", limit: 15, atLeast: true });
const scale = await bench("worker-throughput.ts", ["--runs", String(size.scaleRuns), "--default", "off", "--strict", "off", "--workers", "1,2,4"]);
for (const m of scale.out.matchAll(/scaling: (\d+) worker\(s\) ([\d.]+) runs\/s, efficiency (\d+) %/g)) {
  rows.push({ figure: `${m[1]} worker(s), one tag, queued while draining`, target: "report (efficiency)", value: `${fmt(Number(m[2]))} runs/s`, floor: "", ratio: `${m[3]} % eff.`, load: scale.load.toFixed(1), verdict: "" });
}

// 4. Gateway reads: run list at scale, SSE delivery.
const list = await bench("list-latency.ts", ["--sizes", size.listSizes, "--requests", String(size.listRequests)]);
const listN = size.listSizes;
row(`list page p95 at ${listN} runs`, num(list.out, /list all queries: p50 [\d.]+ ms, p95 ([\d.]+) ms/), "ms", list.load, { target: "≤ 20 ms", limit: 20 });
row(`start → index ready, ${listN} runs`, num(list.out, /gateway start -> index ready: ([\d.]+) s/), "s", list.load, { target: "≤ 5 s", limit: 5 });
const rss = [...list.out.matchAll(/gateway RSS [^:]*: (\d+) MB/g)].map((m) => Number(m[1]));
row(`gateway RSS, ${listN} runs`, rss.length ? Math.max(...rss) : null, "MB", list.load, { target: "≤ 250 MB", limit: 250 });
const sse = await bench("sse-latency.ts", ["--writes", String(size.sseWrites), "--watchers", String(size.sseWatchers)]);
row(`KV write → SSE p50, ${size.sseWatchers} watchers`, num(sse.out, /p50 ([\d.]+) ms/), "ms", sse.load, { target: "≤ 20 ms", limit: 20 });
row(`KV write → SSE p99, ${size.sseWatchers} watchers`, num(sse.out, /p99 ([\d.]+) ms/), "ms", sse.load, { target: "≤ 50 ms", limit: 50 });

const headers: Row = { figure: "figure", target: "target", value: "measured", floor: "floor (same run)", ratio: "ratio", load: "load", verdict: "verdict" };
const keys = Object.keys(headers) as (keyof Row)[];
const width = Object.fromEntries(keys.map((k) => [k, Math.max(...[headers, ...rows].map((r) => r[k].length))])) as Record<keyof Row, number>;
const line = (r: Row) => keys.map((k) => r[k].padEnd(width[k])).join("  ").trimEnd();
console.log("");
console.log(line(headers));
console.log(keys.map((k) => "-".repeat(width[k])).join("  "));
for (const r of rows) console.log(line(r));
console.log("");
console.log(`floors: the same KV create + publish (submit: measured in turn with the gateway on one nats-server, 3 rounds, ratio = median of the rounds' ratios) or pull + get + 2 CAS writes + ack (worker, concurrency 1 = the default, jobs queued first) straight through NATS.js.`);
console.log(`load = 1-minute load average when the figure was taken (${cpus().length} CPUs); above ~1 per CPU the figures say more about the machine than about pyoco.`);
console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
for (const f of failures) console.log(`FAILED: ${f}`);
if (failures.length) process.exit(1);
