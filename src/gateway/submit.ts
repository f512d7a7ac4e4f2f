/**
 * Atomic submit (http-contract.md §1.7–§1.8): create the PENDING snapshot (create, never put: a
 * run id is never reused), then publish the job with the run id as message id. If the publish
 * fails, the snapshot is deleted again before the 503, so no orphan run is ever listed.
 * Used by `POST /runs`, `POST /runs/yaml`, and by anything else that starts runs (schedules).
 */
import { NatsUnavailableError, RevisionConflictError } from "../domain/errors.ts";
import { buildRunJob } from "../domain/job.ts";
import { wireBytes } from "../domain/json.ts";
import { sleep } from "../lib/async.ts";
import { initialSnapshot } from "../domain/run.ts";
import { HttpError } from "./http-errors.ts";
import type { Caller } from "./route-context.ts";
import type { GatewayDeps } from "./deps.ts";
import type { RunIndex } from "./run-index.ts";

export const JOB_TOO_LARGE_DETAIL = "job too large";
/** Room left for the subject and headers (Nats-Msg-Id, KV headers) next to the JSON payload. */
const JOB_ENVELOPE_BYTES = 1024;

export interface SubmitInput {
  flowName: string;
  params: Record<string, unknown>;
  tag: string;
  /** Stored as given; empty → `[tag]`. */
  tags: string[];
  caller: Caller | null;
  /** YAML submits: the raw text travels in the job; sha256/bytes are recorded in the snapshot. */
  yaml?: { text: string; sha256: string; bytes: number; scheduleId?: string | null };
  /**
   * A run id chosen by the caller (DLQ requeue derives it from the entry). The create-only
   * snapshot write then makes a second submit of the same id fail with RevisionConflictError.
   */
  runId?: string;
  /** Extra snapshot fields (ours, e.g. `requeued_from`); never overrides the standard ones. */
  extra?: Record<string, unknown>;
  /**
   * With `runId`: when that run exists already, create nothing and succeed, publishing its job
   * again if it is still PENDING (the message id makes JetStream drop a duplicate). A schedule
   * fire (one id per slot) that was interrupted between the two steps so completes without a
   * second run.
   */
  resumeExisting?: boolean;
}

export interface SubmitResult { run_id: string; status: "PENDING"; bundle_hash: null }

/** How long a submit keeps retrying while a clustered stream elects a new leader (kill -9 of its leader: 4–9 s). */
const FAILOVER_DEADLINE_MS = 15_000;

/**
 * Retry `fn` while a clustered stream has no leader (kill -9 of the old one: requests time out,
 * publishes find no responder). A single server that is down or lost a stream fails at once (503).
 */
async function throughFailover<T>(deadline: number, clustered: boolean, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try { return await fn(); } catch (err) {
      const electing = err instanceof NatsUnavailableError && (err.reason === "TimeoutError" || (clustered && err.reason === "JetStreamNotEnabled"));
      if (!electing || Date.now() + 250 > deadline) throw err;
      await sleep(250);
    }
  }
}

export async function submitRun(deps: Pick<GatewayDeps, "js" | "clock" | "log"> & { index?: Pick<RunIndex, "recordOwnWrite"> }, input: SubmitInput): Promise<SubmitResult> {
  const { js, clock, log } = deps;
  const runId = input.runId ?? crypto.randomUUID();
  const now = clock.now();
  const tags = input.tags.length ? input.tags : [input.tag];
  const common = {
    runId, flowName: input.flowName, tag: input.tag, tags, params: input.params,
    tenantId: input.caller?.tenantId ?? null, apiKeyId: input.caller?.apiKeyId ?? null,
  };
  const snapshot = initialSnapshot({ ...common, now, yaml: input.yaml });
  for (const [k, v] of Object.entries(input.extra ?? {})) if (!(k in snapshot)) (snapshot as Record<string, unknown>)[k] = v;
  const job = buildRunJob({ ...common, submittedAt: now, yaml: input.yaml });
  // Encoded once: the size check and the two writes share the bytes (the submit hot path).
  const jobBytes = wireBytes(job);
  const snapshotBytes = wireBytes(snapshot);
  // A message over NATS's max_payload would be refused by the server: say so (413), not "NATS down" (503).
  if (Math.max(jobBytes.length, snapshotBytes.length) > js.maxPayload - JOB_ENVELOPE_BYTES) {
    log.info("job too large", { err_id: "ERR-PYOCO-0040", msg_id: "MSG-PYOCO-0040", size_bytes: jobBytes.length, max_bytes: js.maxPayload });
    throw new HttpError(413, JOB_TOO_LARGE_DETAIL);
  }
  const deadline = Date.now() + FAILOVER_DEADLINE_MS;
  let attempts = 0;
  let exists = false;
  const clustered = js.server().cluster !== null;
  await throughFailover(deadline, clustered, async () => {
    try {
      attempts++;
      const revision = await js.runs.create(runId, snapshot, snapshotBytes);
      deps.index?.recordOwnWrite(runId, revision, snapshot);
    } catch (err) {
      if (!(err instanceof RevisionConflictError)) throw err;
      if (input.resumeExisting && input.runId !== undefined) { exists = true; return; }
      // A retry that finds the key: the attempt that timed out did land (the id is ours alone).
      if (attempts > 1) return;
      throw err;
    }
  });
  if (exists) {
    const existing = await js.runs.get(runId);
    if (existing?.value.status === "PENDING") await js.queue.publish(input.tag, job, runId);
    log.info("run exists already; not created again", { run_id: runId, status: existing?.value.status });
    return { run_id: runId, status: "PENDING", bundle_hash: null };
  }
  try {
    // The message id is the run id, so a publish retried after a timeout is stored once.
    await throughFailover(deadline, clustered, () => js.queue.publish(input.tag, job, runId, jobBytes));
  } catch (err) {
    try {
      await js.runs.delete(runId);
    } catch (cleanupErr) {
      // The run stays PENDING without a job; logged so an operator can remove it.
      log.error("could not remove the snapshot of a run whose job was not published", { run_id: runId, err: cleanupErr });
    }
    throw err;   // NatsUnavailableError → 503; anything else is a bug → 500, logged
  }
  log.info("run submitted", { run_id: runId, flow_name: input.flowName, tag: input.tag });
  return { run_id: runId, status: "PENDING", bundle_hash: null };
}
