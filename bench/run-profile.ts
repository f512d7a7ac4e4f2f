/**
 * Where one trivial run's cost goes, in load-independent counts (docs/performance.md): one
 * worker drains N queued `hello >> world` runs while a sniffer connection subscribed to every
 * subject counts the NATS messages by kind, and /proc gives the CPU time each process spent
 * (worker, its Python runners, nats-server). Counts do not depend on the machine's load; CPU
 * time barely does. Wall time is printed too, with the load average, but is not the point.
 *   bun bench/run-profile.ts [--runs 500] [--logs on|off] [--worker-args="--concurrency 1"]
 */
import { readFileSync, readdirSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { connect } from "@nats-io/transport-node";
import { buildRunJob } from "../src/domain/job.ts";
import { initialSnapshot } from "../src/domain/run.ts";
import { PyocoJetStream } from "../src/jetstream/index.ts";
import { silentLogger } from "../src/lib/log.ts";
import { startNatsServer } from "../tests/helpers/nats-server.ts";
import { testSettings } from "../tests/helpers/settings.ts";
import { startWorker } from "../tests/helpers/worker.ts";

export interface RunProfile {
  runs: number;
  seconds: number;
  /** NATS messages per run by kind (everything the sniffer saw, submit side included). */
  perRun: Record<string, number>;
  /** CPU milliseconds per run by process. */
  cpuMsPerRun: { worker: number; runners: number; natsServer: number };
  load: number;
}

const TICK_MS = 10;   // USER_HZ = 100 on Linux

/** utime+stime (own) and cutime+cstime (reaped children) of a process, in ms. */
function cpuOf(pid: number): { own: number; children: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");   // fields from #3 (state) on
    return { own: (Number(f[11]) + Number(f[12])) * TICK_MS, children: (Number(f[13]) + Number(f[14])) * TICK_MS };
  } catch { return { own: 0, children: 0 }; }
}

/** CPU ms of the live children of `ppid` (the runners), keyed by pid. */
function childrenCpu(ppid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[1]) === ppid) out.set(Number(name), (Number(f[11]) + Number(f[12])) * TICK_MS);
    } catch { /* gone */ }
  }
  return out;
}

/** What a subject (and, for acks, the payload) means in the run's life. */
function kindOf(subject: string, data: Uint8Array): string | null {
  if (subject.startsWith("$JS.ACK.")) {
    const head = new TextDecoder().decode(data.subarray(0, 5));
    if (head.startsWith("+WPI")) return "in-progress ack";
    if (head.startsWith("-NAK")) return "nak";
    if (head.startsWith("+TERM")) return "term";
    return "ack";
  }
  if (subject.startsWith("$JS.API.CONSUMER.MSG.NEXT.")) return "pull request";
  if (subject.startsWith("$JS.API.DIRECT.GET.") || subject.startsWith("$JS.API.STREAM.MSG.GET.")) return "kv get request";
  if (subject.startsWith("$KV.pyoco_runs.")) return "run kv write";
  if (subject.startsWith("$KV.pyoco_workers.")) return "registry kv write";
  if (subject.startsWith("pyoco.work.")) return "job publish";
  if (subject.startsWith("pyoco.logs.") || subject.startsWith("pyoco_logs.")) return "log publish";
  if (subject.startsWith("$JS.API.")) return "other js api request";
  if (subject.startsWith("_INBOX.") || subject.startsWith("$JS.")) return null;   // replies and deliveries: one per request above
  return `other (${subject.split(".").slice(0, 2).join(".")})`;
}

export async function profileRuns(opts: { runs: number; logs: boolean; args?: string[]; tag?: string }): Promise<RunProfile> {
  const tag = opts.tag ?? "profile";
  const nats = await startNatsServer();
  const js = await PyocoJetStream.connect(testSettings(nats.url), { name: "bench", log: silentLogger });
  await js.ensureResources();
  const sniffer = await connect({ servers: nats.url.replace("nats://", ""), name: "sniffer" });
  const counts: Record<string, number> = {};
  let counting = false;
  const sub = sniffer.subscribe(">", { callback: (_err, m) => {
    if (!counting) return;
    let k = kindOf(m.subject, m.data);
    // A JetStream delivery keeps the stored subject; its reply subject tells it from the publish.
    if (k && m.reply?.startsWith("$JS.ACK.")) k = k === "job publish" ? "job delivery" : k === "run kv write" ? "run kv watch delivery" : `${k} delivery`;
    if (k) counts[k] = (counts[k] ?? 0) + 1;
  } });
  await sniffer.flush();
  const worker = await startWorker({ natsUrl: nats.url, tags: [tag], workerId: `profile-${tag}`, args: opts.args, env: { PYOCO_LOGS_ENABLED: opts.logs ? "1" : "0" } });
  const ids = new Set<string>();
  let left = opts.runs;
  let allDone!: () => void;
  const finished = new Promise<void>((r) => { allDone = r; });
  const watch = js.runs.watchUpdates((e) => {
    if (e.value && ["COMPLETED", "FAILED"].includes(e.value.status as string) && ids.delete(e.key) && --left === 0) allDone();
  });
  await watch.ready;
  try {
    // Idle for a moment so start-up traffic is not counted; then count from the first submit.
    await sniffer.flush();
    counting = true;
    const w0 = cpuOf(worker.pid), n0 = cpuOf(nats.pid), c0 = childrenCpu(worker.pid);
    const t0 = performance.now();
    const now = Date.now() / 1000;
    for (let i = 0; i < opts.runs; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, opts.runs - i) }, async () => {
        const runId = crypto.randomUUID();
        ids.add(runId);
        await js.runs.create(runId, initialSnapshot({ runId, flowName: "hello", tag, tags: [tag], params: {}, now }));
        await js.queue.publish(tag, buildRunJob({ runId, flowName: "hello", tag, tags: [tag], params: {}, submittedAt: now }), runId);
      }));
    }
    await finished;
    const seconds = (performance.now() - t0) / 1000;
    const c1 = childrenCpu(worker.pid);
    const w1 = cpuOf(worker.pid), n1 = cpuOf(nats.pid);
    await sniffer.flush();
    counting = false;
    let runnerMs = w1.children - w0.children;
    for (const [pid, ms] of c1) runnerMs += ms - (c0.get(pid) ?? 0);
    const perRun: Record<string, number> = {};
    for (const [k, v] of Object.entries(counts).sort()) perRun[k] = v / opts.runs;
    return {
      runs: opts.runs, seconds, perRun, load: loadavg()[0]!,
      cpuMsPerRun: { worker: (w1.own - w0.own) / opts.runs, runners: runnerMs / opts.runs, natsServer: (n1.own - n0.own) / opts.runs },
    };
  } finally {
    watch.stop();
    sub.unsubscribe();
    await worker.stop();
    await sniffer.close();
    await js.close();
    await nats.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "500" }, logs: { type: "string", default: "off" }, "worker-args": { type: "string", default: "" } } });
  const workerArgs = values["worker-args"]!;
  const p = await profileRuns({ runs: Number(values.runs), logs: values.logs === "on", args: workerArgs ? workerArgs.split(/\s+/) : [] });
  console.log(`per-run profile: one worker ${workerArgs || "(defaults)"}, ${p.runs} queued trivial 2-task runs, task logs ${values.logs}`);
  console.log(`  wall ${p.seconds.toFixed(2)} s = ${(p.runs / p.seconds).toFixed(1)} runs/s at load ${p.load.toFixed(1)} (wall time depends on the load; counts do not)`);
  console.log("  NATS messages per run (the submit side's 1 run kv write + 1 job publish included; the bench's own");
  console.log("  watch receives 3 of the run kv watch deliveries, the worker's cancel watch the rest):");
  for (const [k, v] of Object.entries(p.perRun)) console.log(`    ${k.padEnd(24)} ${v.toFixed(2)}`);
  console.log(`  CPU ms per run: worker ${p.cpuMsPerRun.worker.toFixed(2)}, runners ${p.cpuMsPerRun.runners.toFixed(2)}, nats-server ${p.cpuMsPerRun.natsServer.toFixed(2)}`);
}
