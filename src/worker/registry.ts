/**
 * This worker's registry record in `pyoco_workers[worker_id]` (wire-contract.md §4.6, §5.6;
 * decisions.md §3.11). Writes are serialised and compare-and-set on the last revision, so the
 * operator's `hidden` flag (PATCH /workers/{id}) is never overwritten: on a conflict the record is
 * re-read and `hidden` taken from it. Failures are logged and swallowed; the next heartbeat repairs.
 */
import { RevisionConflictError } from "../domain/errors.ts";
import { defaultWheelSync, type WorkerRecord } from "../domain/worker-record.ts";
import type { KvStore } from "../jetstream/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";

export interface RegistryInfo {
  workerId: string;
  tags: string[];
  /** What the runner loaded (additive fields so operators see what runs). */
  pyoco: { impl: "real" | "double"; version: string | null };
  python: string;
  concurrency: number;
}

export class WorkerRegistry {
  #record: WorkerRecord | null = null;
  #revision = 0;
  #chain: Promise<unknown> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | null = null;
  #active: string[] = [];

  constructor(
    private readonly kv: KvStore<WorkerRecord>,
    private readonly info: RegistryInfo,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  get instanceId(): string | null { return this.#record?.instance_id ?? null; }

  /** First write of this instance: IDLE, a new instance_id, `hidden` and `wheel_sync` kept, last_run_* reset. */
  async start(): Promise<void> {
    const existing = await this.kv.get(this.info.workerId);
    this.#revision = existing?.revision ?? 0;
    const prev = existing?.value;
    const now = this.clock.now();
    this.#record = {
      worker_id: this.info.workerId,
      instance_id: crypto.randomUUID().replaceAll("-", ""),
      state: "IDLE",
      hidden: prev?.hidden === true,
      tags: this.info.tags,
      last_seen_at: now, last_heartbeat_at: now, heartbeat_at: now,
      current_run_id: null,
      last_run_id: null, last_run_status: null, last_run_started_at: null, last_run_finished_at: null,
      stopped_at: null, stop_reason: null,
      updated_at: now,
      wheel_sync: prev?.wheel_sync && typeof prev.wheel_sync === "object" ? { ...defaultWheelSync(), ...prev.wheel_sync } : defaultWheelSync(),
      pyoco: this.info.pyoco,
      python: this.info.python,
      concurrency: this.info.concurrency,
      current_run_ids: [],
    };
    await this.#write();
  }

  /** Heartbeat ("touch") every `intervalMs` until `stop()`. */
  startHeartbeat(intervalMs: number): void {
    this.#timer ??= setInterval(() => { void this.#enqueue(() => this.#write()); }, Math.max(100, intervalMs));
  }

  stopHeartbeat(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** RUNNING with current_run_id (not awaited by the caller on the hot path). */
  runStarted(runId: string): Promise<void> {
    this.#active.push(runId);
    return this.#enqueue(() => {
      this.#patch({ state: "RUNNING", current_run_id: runId, last_run_started_at: this.clock.now() });
      return this.#write();
    });
  }

  /** IDLE (when no other run is active) with last_run_*. */
  runFinished(runId: string, status: string): Promise<void> {
    this.#active = this.#active.filter((id) => id !== runId);
    return this.#enqueue(() => {
      const current = this.#active.at(-1) ?? null;
      this.#patch({
        state: current ? "RUNNING" : "IDLE", current_run_id: current,
        last_run_id: runId, last_run_status: status, last_run_finished_at: this.clock.now(),
        stopped_at: null, stop_reason: null,
      });
      return this.#write();
    });
  }

  /** Replace the `wheel_sync` object (wire-contract.md §7.7) after a sync attempt. */
  setWheelSync(state: Record<string, unknown>): Promise<void> {
    return this.#enqueue(() => {
      this.#patch({ wheel_sync: state });
      return this.#write();
    });
  }

  /** The `wheel_sync` object carried over from this worker's previous record. */
  get wheelSync(): Record<string, unknown> | null {
    const ws = this.#record?.wheel_sync;
    return ws && typeof ws === "object" ? ws : null;
  }

  /** Final write on shutdown: STOPPED_GRACEFUL with the stop reason. */
  stopped(reason: "graceful_shutdown" | "forced_shutdown"): Promise<void> {
    this.stopHeartbeat();
    return this.#enqueue(() => {
      this.#patch({ state: "STOPPED_GRACEFUL", current_run_id: null, stopped_at: this.clock.now(), stop_reason: reason });
      return this.#write();
    });
  }

  #patch(fields: Partial<WorkerRecord>) {
    if (this.#record) this.#record = { ...this.#record, ...fields, current_run_ids: [...this.#active] };
  }

  #enqueue(fn: () => Promise<void>): Promise<void> {
    const p = this.#chain.then(fn).catch((err) => this.log.warn("worker registry write failed", { err, worker_id: this.info.workerId }));
    this.#chain = p;
    return p;
  }

  /** Touch and write with compare-and-set; on a conflict take `hidden` from the stored record and retry. */
  async #write(): Promise<void> {
    if (!this.#record) return;
    for (let i = 0; i < 10; i++) {
      const now = this.clock.now();
      this.#record = { ...this.#record, last_seen_at: now, last_heartbeat_at: now, heartbeat_at: now, updated_at: now };
      try {
        this.#revision = this.#revision === 0
          ? await this.kv.create(this.info.workerId, this.#record)
          : await this.kv.update(this.info.workerId, this.#record, this.#revision);
        return;
      } catch (err) {
        if (!(err instanceof RevisionConflictError)) throw err;
        const current = await this.kv.get(this.info.workerId);
        this.#revision = current?.revision ?? 0;
        if (current) this.#record = { ...this.#record, hidden: current.value.hidden === true };
      }
    }
  }
}
