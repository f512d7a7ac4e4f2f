/**
 * The task logs of one run on their way to PYOCO_LOGS (docs/logs.md). Logging must never block
 * or fail a run: lines are published without waiting, and past a per-run limit (lines, bytes,
 * rate, or too many unacknowledged publishes) they are dropped and counted. The first drop is
 * announced by a "system" line; `finish()` adds a "system" line with the total `dropped` and
 * waits (bounded) until the stream holds every line, so a log watch that sees the run end has
 * all of them.
 */
import type { LogLine } from "../client/types.ts";
import type { Settings } from "../config/index.ts";
import type { LogRecord } from "../jetstream/index.ts";
import type { Logger } from "../lib/log.ts";
import type { LogMessage } from "../runner/index.ts";

export interface RunLogLimits {
  maxLines: number;
  maxBytes: number;
  ratePerSec: number;
  lineMaxBytes: number;
}

/** Publishes not yet acknowledged by the stream, past which lines are dropped (NATS slow or away). */
const MAX_IN_FLIGHT = 512;
const TRUNCATED_MARK = "…[truncated]";

type DropReason = "lines per run" | "bytes per run" | "rate" | "backlog" | "publish failed" | "runner limit";

export class RunLogPublisher {
  #lines = 0;
  #bytes = 0;
  #dropped = 0;
  #firstDrop: DropReason | null = null;
  #tokens: number;
  #refilledAt = performance.now();
  readonly #pending = new Set<Promise<void>>();
  readonly #burst: number;

  constructor(
    private readonly publish: (line: LogRecord) => Promise<void>,
    private readonly base: { runId: string; workerId: string; attempt: number },
    private readonly limits: RunLogLimits,
    private readonly log: Logger,
  ) {
    this.#burst = Math.max(1, limits.ratePerSec * 2);
    this.#tokens = this.#burst;
  }

  get dropped(): number { return this.#dropped; }

  /** One runner `log` message: a task's stdout/stderr text (split into lines) or one logging record. */
  accept(ev: LogMessage): void {
    if (ev.stream === "system") {
      if (typeof ev.dropped === "number" && ev.dropped > 0) this.#drop("runner limit", ev.dropped);
      return;
    }
    if (ev.stream === "log") {
      this.#offer({ task: ev.task ?? null, stream: "log", level: ev.level ?? null, logger: ev.logger ?? null, message: ev.text, ts: ev.ts });
      return;
    }
    const lines = ev.text.split(/\r?\n/);
    if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    for (const text of lines) this.#offer({ task: ev.task ?? null, stream: ev.stream, level: null, message: text, ts: ev.ts });
  }

  /** Report drops and wait until every accepted line is stored, or `deadlineMs` passed. Never throws. */
  async finish(deadlineMs: number): Promise<void> {
    if (this.#dropped > 0) {
      this.#send({
        task: null, stream: "system", level: null, dropped: this.#dropped, ts: Date.now() / 1000,
        message: `${this.#dropped} log line(s) of this run were dropped (first limit reached: ${this.#firstDrop})`,
      });
    }
    if (this.#pending.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.#pending]),
      new Promise((resolve) => { timer = setTimeout(resolve, deadlineMs); }),
    ]);
    clearTimeout(timer);
  }

  #offer(line: Pick<LogLine, "task" | "stream" | "level" | "message" | "ts"> & { logger?: string | null }): void {
    const reason = this.#limitReached(line.message);
    if (reason) { this.#drop(reason, 1); return; }
    const message = clipUtf8(line.message, this.limits.lineMaxBytes);
    this.#lines++;
    this.#bytes += byteLength(message);
    this.#send({ ...line, message });
  }

  #limitReached(message: string): DropReason | null {
    if (this.#lines >= this.limits.maxLines) return "lines per run";
    if (this.#bytes + Math.min(byteLength(message), this.limits.lineMaxBytes) > this.limits.maxBytes) return "bytes per run";
    if (this.#pending.size >= MAX_IN_FLIGHT) return "backlog";
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#refilledAt) / 1000) * this.limits.ratePerSec);
    this.#refilledAt = now;
    if (this.#tokens < 1) return "rate";
    this.#tokens -= 1;
    return null;
  }

  #drop(reason: DropReason, count: number): void {
    this.#dropped += count;
    if (this.#firstDrop !== null) return;
    this.#firstDrop = reason;
    this.log.warn("task log lines dropped", { run_id: this.base.runId, reason });
    if (reason === "publish failed") return;   // a notice would fail the same way
    this.#send({
      task: null, stream: "system", level: null, ts: Date.now() / 1000,
      message: `log limit reached (${reason}): further lines of this run are dropped and counted`,
    });
  }

  #send(line: Omit<LogRecord, "run_id" | "worker_id" | "attempt">): void {
    const record: LogRecord = { run_id: this.base.runId, worker_id: this.base.workerId, attempt: this.base.attempt, ...line };
    const p: Promise<void> = this.publish(record).catch(() => this.#drop("publish failed", 1)).finally(() => { this.#pending.delete(p); });
    this.#pending.add(p);
  }
}

const encoder = new TextEncoder();

function byteLength(s: string): number {
  return s.length * 3 <= 256 ? encoder.encode(s).length : Buffer.byteLength(s, "utf8");
}

/** At most `max` UTF-8 bytes, cut on a character boundary, marked when cut. */
export function clipUtf8(s: string, max: number): string {
  if (s.length <= max / 3 || byteLength(s) <= max) return s;
  const keep = Math.max(0, max - byteLength(TRUNCATED_MARK));
  const bytes = encoder.encode(s).subarray(0, keep);
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes).replace(/\uFFFD$/, "") + TRUNCATED_MARK;
}

/** The publisher of one delivery's logs, or null when task logs are switched off (PYOCO_LOGS_ENABLED=0). */
export function runLogPublisher(
  deps: { js: { logs: { publish(runId: string, line: LogRecord): Promise<void> } }; settings: Settings; workerId: string; log: Logger },
  runId: string, attempt: number,
): RunLogPublisher | null {
  const s = deps.settings;
  if (!s.logsEnabled) return null;
  return new RunLogPublisher((line) => deps.js.logs.publish(runId, line), { runId, workerId: deps.workerId, attempt }, {
    maxLines: s.logsMaxLinesPerRun, maxBytes: s.logsMaxBytesPerRun, ratePerSec: s.logsRatePerSec, lineMaxBytes: s.logsLineMaxBytes,
  }, deps.log);
}

/** What the runner is told about logging capture (protocol `start.limits`). */
export function runnerLogLimits(s: Settings): { max_log_records: number; log_level: string } {
  return { max_log_records: s.logsEnabled ? s.logsMaxLinesPerRun : 0, log_level: s.logsLevel };
}
