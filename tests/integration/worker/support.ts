/**
 * Shared pieces of the worker integration tests: submit a run exactly as the gateway does
 * (PENDING snapshot, then the job on the tag's subject), wait for a run status, read the DLQ.
 */
import { buildRunJob } from "../../../src/domain/job.ts";
import { initialSnapshot, isTerminal, type RunSnapshot } from "../../../src/domain/run.ts";
import { parseWorkflowYaml } from "../../../src/domain/workflow-yaml.ts";
import type { PyocoJetStream } from "../../../src/jetstream/index.ts";
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
