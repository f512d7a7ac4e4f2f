/**
 * What the worker does with a delivery once it knows how the run ended (wire-contract.md §4.8,
 * §5.9; decisions.md §3 items 7, 9, 10 and §7). Pure: the one translation point from an execution
 * result to ack | nak(delay) | term, a terminal run status and an optional DLQ record.
 */

/** DLQ reasons (wire-contract.md §4.8; `invalid_workflow` and `max_deliver_exceeded` are additive). */
export type DlqReasonName = "invalid_job" | "flow_not_found" | "invalid_workflow" | "execution_error" | "max_deliver_exceeded";

/** Delay of a NAK after a transient failure (wire-contract.md §14.1: 2 s, as the original). */
export const TRANSIENT_NAK_DELAY_MS = 2_000;

/** Resolve-phase runner error codes that mean "the workflow cannot be built" (pyoco-runner.md §5.5). */
const INVALID_WORKFLOW_CODES = new Set([
  "workflow_invalid", "yaml_invalid", "invalid_callable_ref", "callable_import_error", "callable_not_found",
  "graph_invalid", "resolver_error", "invalid_job", "callable_not_allowed", "graph_not_allowed",
]);

/** How one delivery's execution ended, as a value. */
export type ExecutionResult =
  /** The bytes are not a job (decode failure). */
  | { kind: "invalid_job"; error: string }
  /** The stored snapshot was already terminal: a redelivery after the run ended (decisions.md §3.7). */
  | { kind: "already_terminal" }
  /** A cancel was recorded before the run started; it never executes (decisions.md §7). */
  | { kind: "cancelled_before_start" }
  /** A newer delivery owns the run (its attempt is higher); this one must not write or run. */
  | { kind: "superseded" }
  /** The YAML of a workflow job failed validation on the worker (reason string of workflow-yaml.ts). */
  | { kind: "workflow_yaml_invalid"; reason: string }
  /** The runner sent run_finished. `error` carries the runner's code/phase/message when FAILED. */
  | { kind: "finished"; status: "COMPLETED" | "FAILED" | "CANCELLED"; error: { code: string; phase?: string; message: string } | null }
  /** The runner process died without run_finished. `cancelled` = we killed it after a cancel request. */
  | { kind: "crashed"; exitCode: number | null; signal: string | null; stderrTail: string; cancelled: boolean }
  /** No runner could be started for this job (the job is not charged). */
  | { kind: "runner_unavailable"; message: string }
  /** A NATS failure (KV write, read): retry later. */
  | { kind: "transient"; message: string }
  /** The worker stopped the run itself during shutdown: hand the job to another worker at once. */
  | { kind: "interrupted" };

export interface DispositionContext {
  /** JetStream delivery count of this message (1 on the first delivery). */
  deliveryCount: number;
  /** The consumer's MaxDeliver (configured value). */
  maxDeliver: number;
  /** PYOCO_DLQ_PUBLISH_EXECUTION_ERROR. */
  dlqExecutionError: boolean;
}

export type Settle = { kind: "ack" } | { kind: "nak"; delayMs: number } | { kind: "term" };

export interface Disposition {
  settle: Settle;
  /** The terminal snapshot to write before settling, or null for none. */
  terminal: { status: "COMPLETED" | "FAILED" | "CANCELLED"; error: string | null } | null;
  dlq: { reason: DlqReasonName; error: string } | null;
}

const ACK: Settle = { kind: "ack" };

/** Crash text for the run's `error`: exit code or signal plus the runner's stderr tail. */
export function crashMessage(exitCode: number | null, signal: string | null, stderrTail: string): string {
  const how = signal ? `signal ${signal}` : `exit code ${exitCode ?? "unknown"}`;
  const tail = stderrTail.trim().split("\n").slice(-20).join("\n").slice(-2_000);
  return `runner_crashed: runner process ended with ${how} before the run finished${tail ? `\nstderr tail:\n${tail}` : ""}`;
}

function failed(error: string, dlq: Disposition["dlq"]): Disposition {
  return { settle: ACK, terminal: { status: "FAILED", error }, dlq };
}

/** Decide settle + terminal write + DLQ for one execution result. */
export function decideDisposition(result: ExecutionResult, ctx: DispositionContext): Disposition {
  const lastDelivery = ctx.deliveryCount >= ctx.maxDeliver;
  const retry = (message: string, delayMs: number): Disposition =>
    lastDelivery
      // decisions.md §3.10: nothing is left stranded in the work-queue stream on the last delivery.
      ? failed(`max_deliver_exceeded: ${message}`, { reason: "max_deliver_exceeded", error: message })
      : { settle: { kind: "nak", delayMs }, terminal: null, dlq: null };

  switch (result.kind) {
    case "invalid_job":
      return { settle: { kind: "term" }, terminal: null, dlq: { reason: "invalid_job", error: result.error } };
    case "already_terminal":
    case "superseded":
      return { settle: ACK, terminal: null, dlq: null };
    case "cancelled_before_start":
      return { settle: ACK, terminal: { status: "CANCELLED", error: null }, dlq: null };
    case "workflow_yaml_invalid":
      return failed(result.reason, { reason: "invalid_workflow", error: result.reason });
    case "finished": {
      if (result.status !== "FAILED") return { settle: ACK, terminal: { status: result.status, error: null }, dlq: null };
      const err = result.error ?? { code: "task_failed", message: "run failed" };
      if (err.code === "flow_not_found") return failed(err.message, { reason: "flow_not_found", error: err.message });
      if (INVALID_WORKFLOW_CODES.has(err.code) || err.phase === "resolve") {
        return failed(err.message, { reason: "invalid_workflow", error: err.message });
      }
      return failed(err.message, ctx.dlqExecutionError ? { reason: "execution_error", error: err.message } : null);
    }
    case "crashed": {
      if (result.cancelled) return { settle: ACK, terminal: { status: "CANCELLED", error: null }, dlq: null };
      const message = crashMessage(result.exitCode, result.signal, result.stderrTail);
      return failed(message, ctx.dlqExecutionError ? { reason: "execution_error", error: message } : null);
    }
    case "runner_unavailable":
      return retry(`runner_unavailable: ${result.message}`, TRANSIENT_NAK_DELAY_MS);
    case "transient":
      return retry(result.message, TRANSIENT_NAK_DELAY_MS);
    case "interrupted":
      return retry("interrupted: worker shut down during the run", 0);
  }
}

/**
 * In-progress ack cadence (wire-contract.md §5.7): the configured interval, but at most a third of
 * the AckWait (min 0.5 s), so one late or lost `+WPI` never costs a held message. With the default
 * AckWait of 15 s that is every 5 s. When disabled (≤ 0) we still keep runs longer than AckWait
 * safe with AckWait/3, which the original did not.
 */
export function inProgressIntervalMs(ackProgressIntervalSec: number, ackWaitSec: number): number {
  const third = Math.max(0.5, ackWaitSec / 3);
  if (ackProgressIntervalSec <= 0) return Math.round(third * 1000);
  return Math.round(Math.min(ackProgressIntervalSec, third) * 1000);
}
