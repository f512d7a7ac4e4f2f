/**
 * Public types of the runner area: protocol v1 messages (pyoco-runner.md §5) and the
 * RunnerPool / RunnerSession contract the worker codes against. The runner area knows
 * nothing about NATS; it spawns supervised Python processes and speaks JSON lines.
 */

export const PROTOCOL_VERSION = 1 as const;

import type { WorkflowSpec } from "../domain/workflow-yaml.ts";
export type { WorkflowSpec };

export type FlowSource =
  | { kind: "ref" }
  | { kind: "workflow"; spec: WorkflowSpec; sha256?: string | null };

// ---- worker → runner
export interface StartMessage {
  v: 1; type: "start"; run_id: string; flow_name: string; flow: FlowSource;
  params: Record<string, unknown>; metadata: Record<string, unknown>;
  limits?: {
    max_output_bytes?: number; max_log_bytes?: number;
    /** Python logging records forwarded per run (0: logging capture off); level name of the lowest captured. */
    max_log_records?: number; log_level?: string;
  };
}
export interface CancelMessage { v: 1; type: "cancel"; run_id: string; reason?: string; requested_at?: number }
export interface PingMessage { v: 1; type: "ping"; nonce: string }
export interface ShutdownMessage { v: 1; type: "shutdown" }
export type WorkerToRunner = StartMessage | CancelMessage | PingMessage | ShutdownMessage;

// ---- runner → worker
export interface RunnerError { code: string; phase?: string; type?: string; message: string; traceback?: string | null }
export interface ReadyMessage {
  v: 1; type: "ready"; ts: number; protocol: number; runner_version: string; pid: number; python: string;
  pyoco: { version: string | null; impl: "real" | "double" }; capabilities: string[]; startup_ms: number;
}
export interface RunStartedMessage { v: 1; type: "run_started"; ts: number; run_id: string; flow_name: string; tasks: string[]; params: Record<string, unknown> }
export interface TaskStartedMessage { v: 1; type: "task_started"; ts: number; run_id: string; task: string }
/**
 * A task's captured stdout/stderr text (sent when the task ends), one Python `logging` record
 * (stream "log", sent at once; `task` null outside a task), or the runner's count of records it
 * dropped past its per-run limit (stream "system", `dropped`).
 */
export interface LogMessage {
  v: 1; type: "log"; ts: number; run_id: string; task: string | null; stream: "stdout" | "stderr" | "log" | "system"; text: string;
  truncated?: boolean; level?: string; logger?: string; dropped?: number;
}
export interface TaskFinishedMessage {
  v: 1; type: "task_finished"; ts: number; run_id: string; task: string;
  state: "SUCCEEDED" | "FAILED" | "CANCELLED"; duration_ms?: number; error?: { type: string; message: string; traceback?: string };
}
export interface RunFinishedMessage {
  v: 1; type: "run_finished"; ts: number; run_id: string; status: "COMPLETED" | "FAILED" | "CANCELLED";
  error: RunnerError | null; tasks: Record<string, string>; task_records: Record<string, unknown>;
  params: Record<string, unknown>; start_time: number | null; end_time: number | null; duration_ms?: number;
}
export interface CancelAckMessage { v: 1; type: "cancel_ack"; ts: number; run_id: string; state: string }
export interface RejectedMessage { v: 1; type: "rejected"; ts: number; run_id: string; reason: string }
export interface ProtocolErrorMessage { v: 1; type: "protocol_error"; ts: number; error: { code: string; message: string }; raw?: string }
export interface FatalMessage { v: 1; type: "fatal"; ts: number; error: RunnerError }
export interface PongMessage { v: 1; type: "pong"; ts: number; nonce: string }
export interface ByeMessage { v: 1; type: "bye"; ts: number }
export type RunnerToWorker =
  | ReadyMessage | RunStartedMessage | TaskStartedMessage | LogMessage | TaskFinishedMessage | RunFinishedMessage
  | CancelAckMessage | RejectedMessage | ProtocolErrorMessage | FatalMessage | PongMessage | ByeMessage;

/** Events of one run, streamed to the worker while it executes. */
export type RunEvent = RunStartedMessage | TaskStartedMessage | LogMessage | TaskFinishedMessage | CancelAckMessage;

/** How one run ended, as a value (never a rejection). */
export type RunnerOutcome =
  | { kind: "finished"; result: RunFinishedMessage }
  /** The process exited or was signalled without run_finished. `killedByUs` is true when the
   *  pool hard-stopped it (cancel escalation or shutdown), so a crash and a requested stop are never confused. */
  | { kind: "crashed"; exitCode: number | null; signal: string | null; stderrTail: string; killedByUs: boolean;
      /** Set when the pool stopped the runner itself: "protocol_violation", "unresponsive" (missed pongs), "rejected". */
      reason?: string }
  /** The runner could not start (fatal, never ready, start-up timeout). The job was not charged. */
  | { kind: "startup_failed"; code: string; message: string; stderrTail: string };

export interface RunnerPoolOptions {
  /** Absolute interpreter path (resolved once, never a pyenv shim). */
  python: string;
  /** `module:attr` or `path/to/file.py:attr` for `ref` flows; optional. */
  resolver?: string;
  /** Runs per process before it is recycled; 1 = strict fresh process per run. */
  maxRunsPerProcess: number;
  /** Maximum runs at once (= number of busy runners). */
  concurrency: number;
  /** Extra environment for the runner (PYTHONPATH etc.); merged over the worker's env. */
  env?: Record<string, string>;
  /** Folder for per-run scratch working directories and the extracted runner script. */
  workDir: string;
  startupTimeoutMs?: number;   // default 20_000
  pingIntervalMs?: number;     // default 5_000; a runner that misses a pong for 3 intervals is a hang
  /** SIGTERM → SIGKILL delay when hard-stopping a process group. Default 2_000. */
  killGraceMs?: number;
  /**
   * Module prefixes YAML callables and a module-form resolver may come from (runner.py
   * `--allow-module`); empty/absent = any module (flow.yaml fully trusted).
   */
  allowedModules?: readonly string[];
  /** Run a no-op flow in each runner before `ready` so the first job is fast. Default true. */
  warmup?: boolean;
  /** Raw stderr of every runner (task prints, child processes); never parsed. */
  onStderr?: (pid: number, chunk: Uint8Array) => void;
}

export interface RunHandle {
  /** Resolves when the run ends, however it ends. */
  outcome: Promise<RunnerOutcome>;
  /** Send the cooperative cancel message (idempotent). */
  cancel(reason?: string): void;
  /** Hard stop: SIGTERM to the runner's process group, SIGKILL after killGraceMs. Resolves when the group is gone. */
  kill(): Promise<void>;
  /** pid of the runner process (its process group id as well). */
  pid: number;
}

export interface PoolStats { warm: number; busy: number; spawned: number; recycled: number; crashed: number }
