/**
 * The raw JetStream floor (decisions.md §5): the same NATS work as pyoco does, straight through
 * NATS.js, no gateway, no worker, no Python. What pyoco reaches is reported as a ratio of this,
 * measured in the same run on the same machine, so the machine's load cancels out.
 *   submit floor: per run one KV create of a PENDING snapshot + one job publish (msg id = run id),
 *                 `clients` at once, as `POST /runs` does.
 *   worker floor: per run pull one job, read the snapshot, CAS-write RUNNING, CAS-write COMPLETED,
 *                 ack (with confirmation), `concurrency` at once, as one worker does per trivial run.
 *   bun bench/jetstream-floor.ts [--runs 20000] [--clients 64] [--worker-runs 2000] [--concurrency 4]
 */
import { parseArgs } from "node:util";
import { jetstream, jetstreamManager, AckPolicy, type JetStreamClient } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { buildRunJob } from "../src/domain/job.ts";
import { initialSnapshot } from "../src/domain/run.ts";
import { PyocoJetStream } from "../src/jetstream/index.ts";
import { silentLogger } from "../src/lib/log.ts";
import { startNatsServer } from "../tests/helpers/nats-server.ts";
import { testSettings } from "../tests/helpers/settings.ts";
import { percentile } from "./gateway-proc.ts";

export interface FloorResult { perSec: number; p50: number; p99: number }

const enc = new TextEncoder();

interface Raw { nc: NatsConnection; js: JetStreamClient; kv: KV; close(): Promise<void> }

/** A NATS.js connection bound to pyoco's runs bucket (created by pyoco's own resource set-up). */
async function openRaw(natsUrl: string): Promise<Raw> {
  const pj = await PyocoJetStream.connect(testSettings(natsUrl), { name: "floor-setup", log: silentLogger });
  await pj.ensureResources();
  await pj.close();
  const nc = await connect({ servers: natsUrl.replace("nats://", ""), name: "floor" });
  const kv = await new Kvm(nc).open("pyoco_runs", { bindOnly: true });
  return { nc, js: jetstream(nc), kv, close: () => nc.close() };
}

function runBytes(tag: string, runId: string): { snapshot: Uint8Array; job: Uint8Array } {
  const now = Date.now() / 1000;
  const common = { runId, flowName: "bench", tag, tags: [tag], params: { x: 1, name: "alice" } };
  return {
    snapshot: enc.encode(JSON.stringify(initialSnapshot({ ...common, now }))),
    job: enc.encode(JSON.stringify(buildRunJob({ ...common, submittedAt: now }))),
  };
}

async function submitRaw(raw: Raw, tag: string): Promise<void> {
  const runId = crypto.randomUUID();
  const b = runBytes(tag, runId);
  await raw.kv.create(runId, b.snapshot);
  await raw.js.publish(`pyoco.work.${tag}`, b.job, { msgID: runId, expect: { streamName: "PYOCO_WORK" } });
}

/** `clients` loops submitting `total` runs in all (after a warm-up); runs/s and per-submit latency. */
export async function submitFloor(natsUrl: string, o: { total: number; clients: number; tag?: string }): Promise<FloorResult> {
  const raw = await openRaw(natsUrl);
  const tag = o.tag ?? "floor";
  try {
    const drive = async (n: number) => {
      let left = n;
      const lat: number[] = [];
      await Promise.all(Array.from({ length: o.clients }, async () => {
        while (left-- > 0) { const t = performance.now(); await submitRaw(raw, tag); lat.push(performance.now() - t); }
      }));
      return lat;
    };
    await drive(Math.min(2000, o.total));
    const t0 = performance.now();
    const lat = (await drive(o.total)).sort((a, b) => a - b);
    const sec = (performance.now() - t0) / 1000;
    return { perSec: o.total / sec, p50: percentile(lat, 50), p99: percentile(lat, 99) };
  } finally {
    await raw.close();
  }
}

/** Queue `runs` jobs, then drain them with `concurrency` loops doing a worker's NATS work per run. */
export async function workerFloor(natsUrl: string, o: { runs: number; concurrency: number; tag?: string }): Promise<FloorResult> {
  const raw = await openRaw(natsUrl);
  const tag = o.tag ?? "wfloor";
  try {
    const jsm = await jetstreamManager(raw.nc);
    const durable = `floor_${tag}`;
    await jsm.consumers.add("PYOCO_WORK", { durable_name: durable, filter_subject: `pyoco.work.${tag}`, ack_policy: AckPolicy.Explicit, ack_wait: 30e9 });
    for (let i = 0; i < o.runs; i += 100) await Promise.all(Array.from({ length: Math.min(100, o.runs - i) }, () => submitRaw(raw, tag)));
    const consumer = await raw.js.consumers.get("PYOCO_WORK", durable);
    let left = o.runs;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: o.concurrency }, async () => {
      while (left > 0) {
        const m = await consumer.next({ expires: 1000 });
        if (!m) continue;
        left--;
        const job = JSON.parse(new TextDecoder().decode(m.data)) as { run_id: string };
        const e = await raw.kv.get(job.run_id);
        const snap = JSON.parse(new TextDecoder().decode(e!.value)) as Record<string, unknown>;
        const rev = await raw.kv.update(job.run_id, enc.encode(JSON.stringify({ ...snap, status: "RUNNING" })), e!.revision);
        await raw.kv.update(job.run_id, enc.encode(JSON.stringify({ ...snap, status: "COMPLETED" })), rev);
        await m.ackAck();
      }
    }));
    const sec = (performance.now() - t0) / 1000;
    return { perSec: o.runs / sec, p50: 0, p99: 0 };
  } finally {
    await raw.close();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: {
    runs: { type: "string", default: "20000" }, clients: { type: "string", default: "64" },
    "worker-runs": { type: "string", default: "2000" }, concurrency: { type: "string", default: "4" },
  } });
  const nats = await startNatsServer();
  try {
    const s = await submitFloor(nats.url, { total: Number(values.runs), clients: Number(values.clients) });
    console.log(`submit floor: ${Math.round(s.perSec)} runs/s (${values.runs} runs, ${values.clients} clients); latency p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`);
    if (Number(values["worker-runs"]) > 0) {
      const w = await workerFloor(nats.url, { runs: Number(values["worker-runs"]), concurrency: Number(values.concurrency) });
      console.log(`worker floor: ${Math.round(w.perSec)} runs/s (${values["worker-runs"]} runs, concurrency ${values.concurrency})`);
    }
  } finally {
    await nats.stop();
  }
}
