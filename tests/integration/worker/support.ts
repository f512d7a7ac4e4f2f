/**
 * Shared pieces of the worker integration tests: submit a run exactly as the gateway does
 * (PENDING snapshot, then the job on the tag's subject), wait for a run status, read the DLQ.
 */
import { buildRunJob } from "../../../src/domain/job.ts";
import { initialSnapshot, isTerminal, type RunSnapshot } from "../../../src/domain/run.ts";
import { parseWorkflowYaml } from "../../../src/domain/workflow-yaml.ts";
import { afterAll, beforeAll } from "bun:test";
import { PyocoJetStream } from "../../../src/jetstream/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { testSettings } from "../../helpers/settings.ts";
import { startWorker, type StartedWorker, type WorkerOptions } from "../../helpers/worker.ts";
import { waitFor } from "../../../src/lib/async.ts";

export interface SubmitOptions { tag?: string; params?: Record<string, unknown>; yaml?: string }

/** Submit like POST /runs (or /runs/yaml with `yaml`): PENDING snapshot, then publish with msg id = run id. */
export async function submitRun(js: PyocoJetStream, flowName: string, opts: SubmitOptions = {}): Promise<string> {
  const runId = crypto.randomUUID();
  const tag = opts.tag ?? "default";
  const now = Date.now() / 1000;
  let params = opts.params ?? {};
  let yaml: { text: string; sha256: string; bytes: number } | undefined;
  if (opts.yaml !== undefined) {
    const parsed = parseWorkflowYaml(new TextEncoder().encode(opts.yaml));
    const bytes = new TextEncoder().encode(opts.yaml).byteLength;
    yaml = { text: opts.yaml, sha256: parsed.ok ? parsed.sha256 : "0".repeat(64), bytes };
    if (parsed.ok) params = { ...parsed.defaults, ...params };
  }
  await js.runs.create(runId, initialSnapshot({ runId, flowName, tag, tags: [tag], params, now, yaml }));
  await js.queue.publish(tag, buildRunJob({ runId, flowName, tag, tags: [tag], params, submittedAt: now, yaml }), runId);
  return runId;
}

/** Wait until the run's status is one of `statuses` (default: any terminal status). */
export async function waitForRun(js: PyocoJetStream, runId: string, statuses?: string[], timeoutMs = 20_000): Promise<RunSnapshot> {
  return waitFor(async () => {
    const got = await js.runs.get(runId);
    if (!got) return null;
    const ok = statuses ? statuses.includes(got.value.status) : isTerminal(got.value.status);
    return ok ? got.value : null;
  }, { timeoutMs, intervalMs: 10, what: `run ${runId} ${statuses?.join("|") ?? "terminal"}` });
}

/** DLQ records (oldest first) matching a predicate. */
export async function dlqRecords(js: PyocoJetStream, pred: (r: Record<string, unknown>) => boolean = () => true) {
  return (await js.dlq.read(1000)).filter((m) => pred(m.record));
}

import { isAlive } from "../../helpers/processes.ts";
export { isAlive };

/** Request a cancel as the gateway does: CAS on the run key, no write on a terminal run (http-contract.md §1.x cancel). */
export async function cancelRun(js: PyocoJetStream, runId: string): Promise<void> {
  await js.runs.mutate(runId, (s) => {
    if (!s || isTerminal(s.status)) return null;
    const now = Date.now() / 1000;
    return { ...s, status: s.status === "PENDING_APPROVAL" ? "CANCELLED" : "CANCELLING", cancel_requested_at: s.cancel_requested_at ?? now, updated_at: now };
  });
}

/** Every status value the run key takes from now on (a KV watch of updates). */
export function recordStatuses(js: PyocoJetStream, runId: string): { statuses: string[]; stop(): void; ready: Promise<void> } {
  const statuses: string[] = [];
  const h = js.runs.watchUpdates((e) => { if (e.key === runId && e.value) statuses.push(e.value.status); });
  return { statuses, stop: () => h.stop(), ready: h.ready };
}

/**
 * One nats-server, a JetStream client and (optionally) one worker subprocess for a test file,
 * started in beforeAll and stopped in afterAll:
 *   const bed = workerBedForFile({ tags: ["exec"], workerId: "exec-worker" });  …  bed.js, bed.worker
 */
export function workerBedForFile(worker?: Omit<WorkerOptions, "natsUrl">): { readonly nats: NatsServer; readonly js: PyocoJetStream; readonly worker: StartedWorker } {
  let nats: NatsServer | undefined;
  let js: PyocoJetStream | undefined;
  let started: StartedWorker | undefined;
  beforeAll(async () => {
    nats = await startNatsServer();
    js = await PyocoJetStream.connect(testSettings(nats.url), { name: "test", log: silentLogger });
    await js.ensureResources();
    if (worker) started = await startWorker({ natsUrl: nats.url, ...worker });
  });
  afterAll(async () => {
    await started?.stop();
    await js?.close();
    await nats?.stop();
  });
  const need = <T>(v: T | undefined, what: string): T => { if (!v) throw new Error(`workerBedForFile: ${what} not started`); return v; };
  return {
    get nats() { return need(nats, "nats-server"); },
    get js() { return need(js, "JetStream client"); },
    get worker() { return need(started, "worker"); },
  };
}
