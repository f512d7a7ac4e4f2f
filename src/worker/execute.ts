/**
 * One delivery, start to settle (wire-contract.md §5.2–§5.3 with decisions.md §3 fixes):
 * decode → pickup checks (terminal, cancelled, superseded) → registry RUNNING → ownership write
 * (CAS) → runner → events into the snapshot → disposition → DLQ → terminal write → registry
 * IDLE → ack/nak/term. Expected failures are values (`ExecutionResult`); only bugs throw.
 */
import { decideDisposition, type Disposition, type ExecutionResult } from "../domain/disposition.ts";
import { NatsUnavailableError } from "../domain/errors.ts";
import { decodeRunJob, type JobDecodeResult, type RunJob } from "../domain/job.ts";
import { cancelRequested, isTerminal, type RunSnapshot } from "../domain/run.ts";
import { applyRunEvent, pickupSnapshot, requeuedSnapshot, terminalSnapshot, type FinishedReport, type SnapshotEvent } from "../domain/snapshot-writer.ts";
import { parseWorkflowYaml } from "../domain/workflow-yaml.ts";
import type { Settings } from "../config/index.ts";
import type { Delivery, PyocoJetStream, Versioned } from "../jetstream/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { PoolClosedError, type RunEvent, type RunnerPool, type RunnerStderr, type StartMessage } from "../runner/index.ts";
import { ActiveRun } from "./active-run.ts";
import type { RecentRunWrites } from "./recent-run-writes.ts";
import type { WorkerRegistry } from "./registry.ts";
import { RunWriter } from "./run-writer.ts";
import { runLogPublisher, runnerLogLimits, type RunLogPublisher } from "./run-logs.ts";

const DLQ_PAYLOAD_MAX_BYTES = 4096;
/** How long the end of a run waits for its log lines to be stored (they never hold a run longer). */
const LOG_FLUSH_DEADLINE_MS = 2000;

export interface ExecuteDeps {
  js: PyocoJetStream;
  pool: RunnerPool;
  registry: WorkerRegistry;
  settings: Settings;
  workerId: string;
  clock: Clock;
  log: Logger;
  /** In-progress ack cadence for held messages. */
  ackIntervalMs: number;
  /** Runs held by this worker, keyed by run id (the cancel watch looks them up here). */
  active: Map<string, ActiveRun>;
  /** Latest writes of runs not held here (the same watch): a first delivery starts from there instead of a KV read. */
  recent?: RecentRunWrites;
  /** Runner stderr by pid: the run attaches its task logs while it holds a runner. */
  runnerStderr?: RunnerStderr;
  /**
   * Called once when this delivery no longer needs a runner (its run ended, or it never needed one):
   * the next job can be pulled while this one's terminal write, registry write and ack complete.
   */
  releaseSlot: () => void;
  /**
   * Delay of the nak that hands a run interrupted by shutdown back to the queue. A pull request
   * of this worker can still be open at the server for up to one pull expiry; a job nak'ed at once
   * would be delivered to it and then wait out the AckWait instead of going to another worker.
   */
  requeueDelayMs?: number;
}

interface Executed { result: ExecutionResult; report: FinishedReport | null }

/**
 * What can be done for a job pulled ahead while it waits for its slot: decode it and read its
 * snapshot (from the watch's recent writes, else KV), so its pickup does not wait for the read.
 * Safe however long it waits: the RUNNING write is compare-and-set on the revision read, so a
 * cancel or anything else written meanwhile makes it re-read and reconcile. `snapshot` resolves
 * to undefined when the read failed (the pickup then reads again).
 */
export interface ReadAhead {
  decoded: JobDecodeResult;
  snapshot?: Promise<Versioned<RunSnapshot> | null | undefined>;
}

export function readAhead(d: Delivery, deps: Pick<ExecuteDeps, "js" | "recent">): ReadAhead {
  const decoded = decodeRunJob(d.data);
  if (!decoded.ok) return { decoded };
  return { decoded, snapshot: pickupRead(decoded.job.run_id, d.deliveryCount, deps).catch(() => undefined) };
}

/**
 * The snapshot a pickup starts from: for a first delivery the one the watch already brought (no
 * KV read), else a KV get. The RUNNING write is compare-and-set on its revision, so anything
 * written since makes it re-read.
 */
async function pickupRead(runId: string, deliveryCount: number, deps: Pick<ExecuteDeps, "js" | "recent">): Promise<Versioned<RunSnapshot> | null> {
  return (deliveryCount === 1 ? deps.recent?.take(runId) : undefined) ?? deps.js.runs.get(runId);
}

/** Execute one delivery and settle it. Never throws for expected failures. `ahead`: see `readAhead`. */
export async function executeDelivery(d: Delivery, deps: ExecuteDeps, ahead?: ReadAhead): Promise<void> {
  const decoded = ahead?.decoded ?? decodeRunJob(d.data);
  if (!decoded.ok) {
    deps.releaseSlot();
    return rejectInvalidJob(d, decoded.error, deps);
  }
  const job = decoded.job;
  const log = deps.log;
  const run = new ActiveRun(job.run_id, d, { cancelGracePeriodSec: deps.settings.cancelGracePeriodSec, log });
  // Registered before the pickup read, so a cancel written after that read reaches us via the watch.
  const previous = deps.active.get(job.run_id);
  deps.active.set(job.run_id, run);
  run.startKeepAlive(deps.ackIntervalMs);
  let registryTouched = false;
  let executed: Executed;
  const logs = runLogPublisher(deps, job.run_id, d.deliveryCount);
  try {
    executed = await runJob(job, run, deps, () => { registryTouched = true; }, logs, await ahead?.snapshot);
  } catch (err) {
    executed = { result: transientOrThrow(err), report: null };
  } finally {
    deps.releaseSlot();
    run.finish();
    if (deps.active.get(job.run_id) === run) {
      if (previous) deps.active.set(job.run_id, previous); else deps.active.delete(job.run_id);
    }
  }
  const disposition = decideDisposition(executed.result, {
    deliveryCount: d.deliveryCount, maxDeliver: deps.settings.consumerMaxDeliver, dlqExecutionError: deps.settings.dlqPublishExecutionError,
  });
  // Started now, awaited just before the terminal write (overlapping the DLQ publish and the last
  // progress writes): a log watch that sees the run end then finds every line stored.
  const logsStored = logs?.finish(LOG_FLUSH_DEADLINE_MS);
  await settleRun(job, run, executed, disposition, deps, registryTouched, logsStored);
}

async function runJob(
  job: RunJob, run: ActiveRun, deps: ExecuteDeps, onRegistry: () => void, logs: RunLogPublisher | null,
  readEarlier: Versioned<RunSnapshot> | null | undefined,
): Promise<Executed> {
  const { js, settings, clock } = deps;
  const none = (result: ExecutionResult): Executed => ({ result, report: null });
  const existing = readEarlier !== undefined ? readEarlier : await pickupRead(job.run_id, run.delivery.deliveryCount, deps);
  if (existing && isTerminal(existing.value.status)) return none({ kind: "already_terminal" });

  let params: Record<string, unknown> = job.params;
  let flow: StartMessage["flow"] = { kind: "ref" };
  let yamlReason: string | null = null;
  if (typeof job.workflow_yaml === "string" && job.workflow_yaml !== "") {
    const parsed = parseWorkflowYaml(new TextEncoder().encode(job.workflow_yaml));
    if (parsed.ok) {
      flow = { kind: "workflow", spec: parsed.spec, sha256: parsed.sha256 };
      params = { ...parsed.defaults, ...job.params };
    } else yamlReason = parsed.reason;
  }

  const desired = pickupSnapshot(existing?.value ?? null, job, { workerId: deps.workerId, attempt: run.delivery.deliveryCount }, params, clock.now());
  run.writer = new RunWriter(js.runs, job.run_id, existing, desired, {
    maxSnapshotBytes: settings.maxRunSnapshotBytes, clock,
    onStoredSeen: (stored) => run.observe(stored),
    onBackgroundError: (err) => deps.log.warn("run progress write failed", { run_id: job.run_id, err }),
  });
  if (existing && cancelRequested(existing.value)) return none({ kind: "cancelled_before_start" });
  if (yamlReason !== null) return { result: { kind: "workflow_yaml_invalid", reason: yamlReason }, report: { end_time: null } };

  onRegistry();
  void deps.registry.runStarted(job.run_id);
  const owned = await run.writer.write();
  if (!owned.written) return none(owned.reason === "terminal" ? { kind: "already_terminal" } : { kind: "superseded" });
  if (run.cancelSeen) return none({ kind: "cancelled_before_start" });
  run.startHeartbeat(settings.runHeartbeatIntervalSec * 1000, (err) => deps.log.warn("run heartbeat write failed", { run_id: job.run_id, err }));

  const start: StartMessage = {
    v: 1, type: "start", run_id: job.run_id, flow_name: job.flow_name, flow, params,
    metadata: { tag: job.tag, tags: job.tags, tenant_id: job.tenant_id ?? null, worker_id: deps.workerId, attempt: run.delivery.deliveryCount },
    limits: runnerLogLimits(settings),
  };
  const writer = run.writer;
  const runningTasks = new Set<string>();
  let finishedLast: string | null = null;
  const onEvent = (event: RunEvent) => {
    if (event.type === "log") { logs?.accept(event); return; }
    if (event.type === "task_started") runningTasks.add(event.task);
    if (event.type === "task_finished") { runningTasks.delete(event.task); finishedLast = event.task; }
    writer.update((s) => applyRunEvent(s, event as SnapshotEvent));
    writer.scheduleProgress();
  };
  let handle;
  try {
    handle = await deps.pool.run(start, onEvent);
  } catch (err) {
    if (err instanceof PoolClosedError) return none({ kind: "interrupted" });
    throw err;
  }
  run.attach(handle);
  // Output of the task's child processes: attributed to the task started last that still runs,
  // else the one that finished last (stderr and the runner's events come through two pipes, so
  // a child's line can be read after its task's task_finished).
  const detachStderr = logs && deps.runnerStderr?.attach(handle.pid, (text) => logs.accept({
    v: 1, type: "log", run_id: job.run_id, task: [...runningTasks].at(-1) ?? finishedLast, stream: "stderr", text, ts: Date.now() / 1000,
  }));
  const outcome = await handle.outcome;
  if (detachStderr) {
    // The child's output was written before run_finished, but both pipes can become readable in
    // one event-loop turn: give the stderr reader that turn before letting go of the run.
    await new Promise<void>((resolve) => setImmediate(resolve));
    detachStderr();
  }
  switch (outcome.kind) {
    case "finished": {
      const r = outcome.result;
      const result: ExecutionResult = { kind: "finished", status: r.status, error: r.error ? { code: r.error.code, phase: r.error.phase, message: r.error.message } : null };
      // wire-contract.md §4.3: end_time stays null when the flow could not even be built.
      const neverRan = r.error?.phase === "resolve" || r.error?.code === "flow_not_found";
      return { result, report: { tasks: r.tasks, task_records: r.task_records, params: r.params, end_time: neverRan ? null : r.end_time } };
    }
    case "crashed":
      if (run.interrupted && !run.killedForCancel) return none({ kind: "interrupted" });
      return none({ kind: "crashed", exitCode: outcome.exitCode, signal: outcome.signal, stderrTail: outcome.stderrTail, cancelled: run.killedForCancel });
    case "startup_failed":
      return none({ kind: "runner_unavailable", message: `${outcome.code}: ${outcome.message}` });
  }
}

function transientOrThrow(err: unknown): ExecutionResult {
  if (err instanceof NatsUnavailableError) return { kind: "transient", message: err.message };
  // A bug, not an outage: still never crash the worker on one job; retry it later.
  return { kind: "transient", message: `unexpected: ${err instanceof Error ? err.message : String(err)}` };
}

/** DLQ (best effort) → terminal write → registry → settle (wire-contract.md §14.1 order). */
async function settleRun(
  job: RunJob, run: ActiveRun, executed: Executed, disposition: Disposition, deps: ExecuteDeps, registryTouched: boolean,
  logsStored?: Promise<void>,
): Promise<void> {
  const { log } = deps;
  const d = run.delivery;
  const meta = { run_id: job.run_id, flow_name: job.flow_name, tag: job.tag, worker_id: deps.workerId };
  if (disposition.dlq) {
    const payload: Record<string, unknown> = {
      run_id: job.run_id, flow_name: job.flow_name, tag: job.tag, tags: job.tags,
      tenant_id: job.tenant_id ?? null, api_key_id: job.api_key_id ?? null, worker_id: deps.workerId,
      ...requeueFields(job),
    };
    if (disposition.dlq.reason === "max_deliver_exceeded") payload.num_delivered = d.deliveryCount;
    await publishDlq(deps, job.tag, disposition.dlq.reason, disposition.dlq.error, payload);
  }
  let settle = disposition.settle;
  let finalStatus: string = disposition.terminal?.status ?? "FAILED";
  if (disposition.terminal) {
    const { status, error } = disposition.terminal;
    // A transient failure on the last delivery may have happened before the pickup read.
    const writer = run.writer ?? new RunWriter(deps.js.runs, job.run_id, null,
      pickupSnapshot(null, job, { workerId: deps.workerId, attempt: d.deliveryCount }, job.params, deps.clock.now()),
      { maxSnapshotBytes: deps.settings.maxRunSnapshotBytes, clock: deps.clock });
    writer.update((s) => terminalSnapshot(s, status, error, executed.report, deps.clock.now()));
    try {
      await writer.settle();
      await logsStored;
      const w = await writer.write();
      if (!w.written) finalStatus = writer.stored?.status as string ?? finalStatus;
    } catch (err) {
      log.error("terminal run write failed; the job will be retried", { ...meta, err, err_id: "ERR-PYOCO-0003" });
      settle = { kind: "nak", delayMs: 2_000 };
    }
    const level = status === "FAILED" ? "warn" : "info";
    log[level]("run finished", {
      ...meta, status: finalStatus, error: error ?? undefined, attempt: d.deliveryCount,
      ...(run.cancelSeenAtMs ? { cancel_to_end_ms: Date.now() - run.cancelSeenAtMs } : {}),
      ...(disposition.dlq ? { err_id: disposition.dlq.reason === "flow_not_found" ? "ERR-PYOCO-0006" : "ERR-PYOCO-0007", reason: disposition.dlq.reason } : {}),
    });
  } else if (executed.result.kind !== "already_terminal" && executed.result.kind !== "superseded") {
    if (executed.result.kind === "interrupted" && run.writer) await recordRequeue(run.writer, deps, meta);
    log.warn("run not finished; job returned to the queue", { ...meta, reason: executed.result.kind, detail: (executed.result as { message?: string }).message });
  } else {
    log.info("delivery skipped", { ...meta, reason: executed.result.kind });
  }
  if (registryTouched || disposition.terminal) await deps.registry.runFinished(job.run_id, finalStatus);
  try {
    if (settle.kind === "ack") await d.ack();
    else if (settle.kind === "nak") d.nak(executed.result.kind === "interrupted" ? Math.max(settle.delayMs, deps.requeueDelayMs ?? 0) : settle.delayMs);
    else d.term();
  } catch (err) {
    log.warn("settling the job failed; NATS redelivers it after AckWait", { ...meta, err });
  }
}

/**
 * Additive DLQ fields (ours): what `POST /dlq/{seq}/requeue` needs to submit the same run again
 * (params and the flow.yaml text travel only in the job, which is gone once it is settled).
 */
function requeueFields(job: RunJob): Record<string, unknown> {
  const out: Record<string, unknown> = { params: job.params, submitted_at: job.submitted_at };
  if (typeof job.workflow_yaml === "string" && job.workflow_yaml !== "") {
    Object.assign(out, {
      workflow_yaml: job.workflow_yaml, workflow_yaml_sha256: job.workflow_yaml_sha256 ?? null,
      workflow_yaml_bytes: job.workflow_yaml_bytes ?? null, schedule_id: job.schedule_id ?? null,
    });
  }
  return out;
}

/** Before the job goes back to the queue: say so in the snapshot (PENDING + requeue_reason), so nobody calls it running. */
async function recordRequeue(writer: RunWriter, deps: ExecuteDeps, meta: Record<string, unknown>): Promise<void> {
  try {
    await writer.settle();
    writer.update((s) => requeuedSnapshot(s, "worker_shutdown", deps.clock.now()));
    await writer.write();
  } catch (err) {
    deps.log.warn("recording the requeue failed; the snapshot still says RUNNING until a worker takes the run", { ...meta, err });
  }
}

async function rejectInvalidJob(d: Delivery, error: string, deps: ExecuteDeps): Promise<void> {
  const tag = d.subject.split(".").at(-1) || "unknown";
  deps.log.error("invalid job", { err_id: "ERR-PYOCO-0012", reason: "invalid_job", error, subject: d.subject, worker_id: deps.workerId });
  const payload = new TextDecoder("utf-8", { fatal: false }).decode(d.data.subarray(0, DLQ_PAYLOAD_MAX_BYTES));
  await publishDlq(deps, tag, "invalid_job", error, { subject: d.subject, worker_id: deps.workerId, num_delivered: d.deliveryCount, payload });
  d.term();
}

async function publishDlq(deps: ExecuteDeps, tag: string, reason: NonNullable<Disposition["dlq"]>["reason"], error: string, payload: Record<string, unknown>): Promise<void> {
  try {
    await deps.js.dlq.publish(tag, reason, error, deps.clock.now(), payload);
  } catch (err) {
    deps.log.warn("dlq publish failed", { reason, err, tag });   // best effort (wire-contract.md §4.8)
  }
}
