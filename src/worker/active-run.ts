/**
 * A run this worker holds, as seen by cancel detection (decisions.md §3.5): it learns of a cancel
 * from the KV watch, a CAS re-read or the pickup snapshot, sends the runner's cooperative cancel at
 * once, and after the grace period kills the runner's process group. Also the in-progress ack and
 * run-heartbeat timers of the run.
 */
import { isTerminal, cancelRequested, type RunSnapshot } from "../domain/run.ts";
import { cancelFields } from "../domain/snapshot-writer.ts";
import type { Delivery } from "../jetstream/index.ts";
import type { Logger } from "../lib/log.ts";
import type { RunHandle } from "../runner/index.ts";
import type { RunWriter } from "./run-writer.ts";

export class ActiveRun {
  writer: RunWriter | null = null;
  #handle: RunHandle | null = null;
  /** A cancel was seen for this run (sticky). */
  cancelSeen = false;
  /** The runner was killed after the grace period (its crash outcome means CANCELLED). */
  killedForCancel = false;
  /** The worker stopped this run during shutdown (the job goes back to the queue). */
  interrupted = false;
  #graceTimer: ReturnType<typeof setTimeout> | null = null;
  #timers: ReturnType<typeof setInterval>[] = [];
  #finished = false;
  cancelSeenAtMs: number | null = null;

  constructor(
    readonly runId: string,
    readonly delivery: Delivery,
    private readonly opts: { cancelGracePeriodSec: number; log: Logger },
  ) {}

  /** Keep the message (in-progress acks) and the snapshot (heartbeat writes) alive while the run is held. */
  startKeepAlive(ackIntervalMs: number): void {
    this.#timers.push(setInterval(() => this.delivery.working(), ackIntervalMs));
  }

  startHeartbeat(intervalMs: number, onError: (err: unknown) => void): void {
    this.#timers.push(setInterval(() => {
      if (this.writer && !this.writer.blocked) this.writer.write().catch(onError);
    }, intervalMs));
  }

  /** A stored value of this run was seen (watch or re-read). */
  observe(stored: RunSnapshot, revision?: number): void {
    if (revision !== undefined) this.writer?.observe(stored, revision);
    if (!this.cancelSeen && cancelRequested(stored) && !isTerminal(stored.status)) this.#onCancel(stored);
  }

  /** The runner handle, once the run started; a cancel seen earlier is forwarded now. */
  attach(handle: RunHandle): void {
    this.#handle = handle;
    if (this.interrupted) void handle.kill();
    else if (this.cancelSeen) this.#sendCancel();
  }

  #onCancel(stored: RunSnapshot) {
    this.cancelSeen = true;
    this.cancelSeenAtMs = Date.now();
    this.opts.log.info("cancel requested", { run_id: this.runId });
    if (this.writer) {
      this.writer.update((s) => ({ ...s, ...cancelFields(stored), status: isTerminal(s.status) ? s.status : "CANCELLING" }));
      this.writer.scheduleProgress();
    }
    if (this.#handle) this.#sendCancel();
  }

  #sendCancel() {
    if (this.#finished || !this.#handle) return;
    this.#handle.cancel("user");
    if (this.#graceTimer) return;
    const graceMs = Math.max(0, this.opts.cancelGracePeriodSec * 1000);
    this.#graceTimer = setTimeout(() => {
      if (this.#finished || !this.#handle) return;
      this.opts.log.warn("cancel request timed out; killing the runner's process group", {
        err_id: "ERR-PYOCO-0021", run_id: this.runId, grace_sec: this.opts.cancelGracePeriodSec,
      });
      this.killedForCancel = true;
      void this.#handle.kill();
    }, graceMs);
  }

  /** Hard stop for shutdown: the outcome becomes "interrupted" unless a cancel already asked for it. */
  async interrupt(): Promise<void> {
    if (this.#finished) return;
    this.interrupted = true;
    await this.#handle?.kill();
  }

  finish(): void {
    this.#finished = true;
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.writer?.close();
  }
}
