/**
 * The worker: one pull loop per tag feeding a shared slot limit (fair OR routing, decisions.md
 * §3.13), a warm runner pool, one KV watch for cancels, the registry heartbeat, and an explicit
 * life cycle with a drain deadline and a force step (architecture.md §4 rules 9–10).
 */
import { inProgressIntervalMs } from "../domain/disposition.ts";
import type { RunSnapshot } from "../domain/run.ts";
import type { Settings } from "../config/index.ts";
import { PyocoJetStream, type Delivery, type WatchHandle } from "../jetstream/index.ts";
import { sleep } from "../lib/async.ts";
import { systemClock, type Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { RunnerPool, RunnerStderr, type ReadyMessage } from "../runner/index.ts";
import type { ActiveRun } from "./active-run.ts";
import { executeDelivery, readAhead, type ExecuteDeps } from "./execute.ts";
import { RecentRunWrites } from "./recent-run-writes.ts";
import { WorkerRegistry } from "./registry.ts";
import { SlotGate } from "./slots.ts";
import { WheelSync } from "./wheel-sync.ts";
import { WheelSyncLoop } from "./wheel-sync-loop.ts";

/** Life cycle; every transition is logged. */
export type WorkerLifecycle = "INITIALIZED" | "STARTING" | "RUNNING" | "DRAINING" | "STOPPING" | "STOPPED" | "FAILED";

export interface WorkerOptions {
  settings: Settings;
  /** Registry key and DLQ `worker_id`. */
  workerId: string;
  /** Tags pulled with OR semantics (validated by the caller). */
  tags: string[];
  /** Absolute Python interpreter. */
  python: string;
  /** `module:attr` or `path/to/file.py:attr`; none = YAML jobs only. */
  resolver?: string;
  /** Runs at once. @default 1 */
  concurrency: number;
  /** Runs per runner process before it is recycled; 1 = a fresh process per run. */
  maxRunsPerProcess: number;
  /** Scratch folder of the runners. */
  workDir: string;
  /** How long a graceful stop lets running runs finish before killing them. */
  drainTimeoutSec: number;
  /** How long one pull waits for a job (the original's `--poll-timeout`); raised to 1 s, NATS.js's minimum. @default 1000 */
  pollTimeoutMs?: number;
  /** Pull the next job while a short run executes (see `#prefetchNow`). @default true */
  prefetch?: boolean;
  /** Process what is queued now, then stop pulling (the original's `--run-once`); see `whenQueueDone()`. */
  runOnce?: boolean;
  /** Extra environment for runners (merged over the worker's). */
  runnerEnv?: Record<string, string>;
  /** Module prefixes YAML callables / a module resolver may come from; empty = any (warned at start). */
  allowedModules?: readonly string[];
  log: Logger;
  clock?: Clock;
  /** Raw stderr of the runners (task prints); never parsed. */
  onRunnerStderr?: (pid: number, chunk: Uint8Array) => void;
  /** Aborts the wait for NATS during start() (PYOCO_NATS_CONNECT_WAIT_SEC), e.g. on Ctrl-C. */
  startSignal?: AbortSignal;
}

/** Shortest pull expiry: NATS.js refuses < 1 s (toolchain.md). Also the default poll timeout. */
const MIN_PULL_EXPIRES_MS = 1_000;
/** A run that held its slot for less than this lets the worker pull the next job while running one. */
const PREFETCH_SHORT_RUN_MS = 100;

export class Worker {
  #state: WorkerLifecycle = "INITIALIZED";
  #js: PyocoJetStream | null = null;
  #pool: RunnerPool;
  #registry: WorkerRegistry | null = null;
  #watch: WatchHandle | null = null;
  #gate: SlotGate;
  #active = new Map<string, ActiveRun>();
  /** Latest writes of runs not held here, from the same watch: first deliveries skip the pickup read. */
  #recent = new RecentRunWrites();
  /** Child-process output on the runners' stderr, into the task logs of the run on that runner. */
  #runnerStderr = new RunnerStderr();
  #inflight = new Set<Promise<void>>();
  #loops: Promise<void>[] = [];
  #pullStop = new AbortController();
  #ackIntervalMs = 5_000;
  /** How long the last run held its slot (pull-ahead policy); none yet = long. */
  #lastRunMs = Number.POSITIVE_INFINITY;
  /** When each delivery holding a slot claimed it (pull-ahead policy). */
  #runningSince = new Map<Delivery, number>();
  #closing: Promise<"graceful_shutdown" | "forced_shutdown"> | null = null;
  #clock: Clock;
  #ready: ReadyMessage | null = null;
  #wheels: { sync: WheelSync; loop: WheelSyncLoop } | null = null;

  readonly #pullExpiresMs: number;

  constructor(private readonly opts: WorkerOptions) {
    this.#clock = opts.clock ?? systemClock;
    this.#pullExpiresMs = Math.max(MIN_PULL_EXPIRES_MS, opts.pollTimeoutMs ?? MIN_PULL_EXPIRES_MS);
    this.#gate = new SlotGate(opts.concurrency);
    this.#pool = new RunnerPool({
      python: opts.python, resolver: opts.resolver, maxRunsPerProcess: opts.maxRunsPerProcess,
      concurrency: opts.concurrency, env: opts.runnerEnv, workDir: opts.workDir,
      onStderr: (pid, chunk) => { this.#runnerStderr.write(pid, chunk); opts.onRunnerStderr?.(pid, chunk); },
      allowedModules: opts.allowedModules?.length ? opts.allowedModules : undefined,
    }, opts.log.child("runner"));
    this.#wheels = this.#wheelSyncSetup();
  }

  /** Wheel sync (opt-in): runners start on the last installed generation, before any sync ran. */
  #wheelSyncSetup(): { sync: WheelSync; loop: WheelSyncLoop } | null {
    const { settings, log } = this.opts;
    if (!settings.wheelSyncEnabled) return null;
    const basePythonPath = this.opts.runnerEnv?.PYTHONPATH ?? process.env.PYTHONPATH;
    const sync = new WheelSync({
      store: () => this.#js!.wheels, python: this.opts.python, workerTags: this.opts.tags, dir: settings.wheelSyncDir,
      installTimeoutSec: settings.wheelInstallTimeoutSec, basePythonPath, clock: this.#clock, log: log.child("wheel-sync"),
    });
    const loop = new WheelSyncLoop({
      sync, pool: this.#pool, gate: this.#gate, registry: () => this.#registry, intervalSec: settings.wheelSyncIntervalSec, basePythonPath, log,
    });
    if (sync.activeDir) this.#pool.setRunnerEnv({ PYTHONPATH: loop.pythonPath(sync.activeDir) });
    return { sync, loop };
  }

  get state(): WorkerLifecycle { return this.#state; }
  /** What the runner reported at start (pyoco impl and version, python). */
  get runnerInfo(): ReadyMessage | null { return this.#ready; }
  get instanceId(): string | null { return this.#registry?.instanceId ?? null; }

  #to(next: WorkerLifecycle) {
    this.opts.log.info("worker state changed", { from: this.#state, to: next, worker_id: this.opts.workerId });
    this.#state = next;
  }

  /**
   * Start the runner pool (fails fast on a broken Python/Pyoco/resolver: RunnerStartupError),
   * connect, bind or create the durables, write the registry, watch cancels, start pulling.
   */
  async start(): Promise<void> {
    const { settings, log, workerId, tags } = this.opts;
    this.#to("STARTING");
    try {
      this.#ready = await this.#pool.start();
      log.info("runner ready", { pyoco: this.#ready.pyoco, python: this.#ready.python, python_path: this.opts.python, startup_ms: this.#ready.startup_ms });
      let ackWaitSec = settings.consumerAckWaitSec;
      // Connect, create missing resources, bind the durables and write the registry entry, retried
      // as one (with backoff, one log line per attempt) while NATS is not up yet or a JetStream
      // leader is unavailable (a cluster node lost during start-up).
      const js = (this.#js = await PyocoJetStream.connectPatiently(settings, {
        name: `pyoco-worker:${workerId}`, log, signal: this.opts.startSignal,
        prepare: async (js) => {
          ackWaitSec = settings.consumerAckWaitSec;
          for (const tag of tags) {
            const { created } = await js.queue.ensureConsumer(tag, {
              ackWaitSec: settings.consumerAckWaitSec, maxDeliver: settings.consumerMaxDeliver, maxAckPending: settings.consumerMaxAckPending,
            });
            // decisions.md §3.12: an existing durable is bound as is, so keep ITS AckWait safe too.
            const actual = (await js.consumer(tag))?.ack_wait;
            if (typeof actual === "number" && actual > 0) ackWaitSec = Math.min(ackWaitSec, actual / 1e9);
            log.info("consumer bound", { tag, created, worker_id: workerId });
          }
          const registry = new WorkerRegistry(js.workers, {
            workerId, tags, python: this.opts.python, concurrency: this.opts.concurrency,
            pyoco: { impl: this.#ready!.pyoco.impl, version: this.#ready!.pyoco.version },
          }, this.#clock, log);
          await registry.start();
          this.#registry = registry;
        },
      }));
      await this.#warnWithoutAllowList(js);
      this.#ackIntervalMs = inProgressIntervalMs(settings.ackProgressIntervalSec, ackWaitSec);
      this.#watch = js.runs.watchUpdates((e) => {
        const run = this.#active.get(e.key);
        if (run && e.value) run.observe(e.value as RunSnapshot, e.revision);
      }, { wanted: (key) => this.#active.has(key), skipped: (key, revision, raw) => this.#recent.record(key, revision, raw) });
      await this.#watch.ready;
      this.#registry!.startHeartbeat(settings.workerHeartbeatIntervalSec * 1000);
      await this.#wheels?.loop.start();   // first sync before the first pull
    } catch (err) {
      this.#to("FAILED");
      await this.#teardown();
      throw err;
    }
    this.#loops = this.opts.tags.map((tag) => this.#pullLoop(tag));
    this.#to("RUNNING");
  }

  /**
   * With `runOnce`: resolves once every tag's queue answered "empty" to a pull and every run
   * taken has finished. The caller then calls `close()`. Never resolves otherwise.
   */
  async whenQueueDone(): Promise<void> {
    if (!this.opts.runOnce) return new Promise<void>(() => {});
    await Promise.allSettled(this.#loops);
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /**
   * flow.yaml is code: without an allow-list any submitter can run any Python here. Warned on
   * every start, not only when the gateway's auth is on: with auth off anyone who reaches the
   * gateway can submit, which is worse; the worker cannot see the gateway's settings anyway, so
   * API keys in the auth bucket (or PYOCO_HTTP_AUTH_MODE=api_key here) only sharpen the message.
   */
  async #warnWithoutAllowList(js: PyocoJetStream): Promise<void> {
    if (this.opts.allowedModules?.length) {
      this.opts.log.info("module allow-list active", { allowed_modules: this.opts.allowedModules });
      return;
    }
    const keys = await js.stream(`KV_${js.names.authBucket}`).then((s) => s?.messages ?? 0, () => 0);
    const multiTenant = keys > 0 || this.opts.settings.authMode === "api_key";
    this.opts.log.warn("no module allow-list: any flow.yaml submitter can run any Python code on this worker (callable: os:system)", {
      err_id: "ERR-PYOCO-0050", worker_id: this.opts.workerId, gateway_auth: multiTenant ? "api_key" : "unknown_or_none",
      hint: multiTenant
        ? "API keys are in use: every tenant can run code on this worker; set --allow-module PREFIX (or PYOCO_WORKER_ALLOWED_MODULES) to the packages your flows use"
        : "set --allow-module PREFIX (or PYOCO_WORKER_ALLOWED_MODULES) unless every submitter is trusted with code execution here",
    });
  }

  /**
   * Graceful stop: stop pulling, let runs finish within the drain deadline (or until `force`
   * aborts), then kill what is left and hand those jobs back (nak). Writes STOPPED_GRACEFUL.
   * Idempotent; returns the stop reason written.
   */
  close(opts: { force?: AbortSignal } = {}): Promise<"graceful_shutdown" | "forced_shutdown"> {
    return (this.#closing ??= this.#close(opts.force));
  }

  async #close(force?: AbortSignal): Promise<"graceful_shutdown" | "forced_shutdown"> {
    const log = this.opts.log;
    this.#to("DRAINING");
    this.#pullStop.abort();
    await this.#wheels?.loop.stop();   // a sync waiting for the slots gives up; pip is killed
    let forced = force?.aborted ?? false;
    if (this.#inflight.size > 0 && !forced) {
      log.info("draining running runs", { runs: [...this.#active.keys()], drain_timeout_sec: this.opts.drainTimeoutSec });
      const drained = new AbortController();
      const stop = force ? AbortSignal.any([drained.signal, force]) : drained.signal;
      await Promise.race([Promise.allSettled([...this.#inflight]), sleep(Math.max(0, this.opts.drainTimeoutSec * 1000), stop)]);
      drained.abort();   // clears the drain timer
    }
    if (this.#inflight.size > 0) {
      forced = true;
      this.#to("STOPPING");
      log.warn("killing runs that did not finish; their jobs go back to the queue", { runs: [...this.#active.keys()] });
      await Promise.all([...this.#active.values()].map((r) => r.interrupt()));
      await Promise.allSettled([...this.#inflight]);
    }
    const reason = forced ? "forced_shutdown" : "graceful_shutdown";
    await this.#registry?.stopped(reason);
    await this.#teardown();
    this.#to("STOPPED");
    return reason;
  }

  async #teardown() {
    this.#pullStop.abort();
    await this.#wheels?.loop.stop();
    this.#registry?.stopHeartbeat();
    this.#watch?.stop();
    await this.#pool.close({ graceMs: 0 }).catch(() => undefined);
    // Pull loops end within one pull expiry; do not wait longer than that.
    await Promise.race([Promise.allSettled(this.#loops), sleep(this.#pullExpiresMs + 500)]);
    await this.#js?.close().catch(() => undefined);
  }

  async #pullLoop(tag: string): Promise<void> {
    const { log } = this.opts;
    const stop = this.#pullStop.signal;
    let failures = 0;
    while (!stop.aborted) {
      if (!this.#gate.hasFree && !this.#prefetchNow()) await this.#gate.whenFree(stop);
      if (stop.aborted) break;
      // A pull ahead waits the shortest time, so a job that comes later into a run that turned out
      // long is left to idle workers (a pull request cannot be taken back once sent).
      const expiresMs = this.#gate.hasFree ? this.#pullExpiresMs : MIN_PULL_EXPIRES_MS;
      let d: Delivery | null;
      try {
        d = await this.#js!.queue.next(tag, expiresMs);
        failures = 0;
      } catch (err) {
        failures++;
        if (failures === 1 || failures % 30 === 0) log.warn("pull failed; retrying", { tag, err, worker_id: this.opts.workerId });
        await sleep(Math.min(2_000, 100 * 2 ** Math.min(failures, 5)), stop);
        await this.#rebind(tag);
        continue;
      }
      if (!d) {
        if (this.opts.runOnce) break;   // nothing more queued for this tag within one poll
        continue;
      }
      if (stop.aborted) { d.nak(0); break; }
      // Pulled ahead (no free slot): its snapshot read overlaps the run in progress.
      const ahead = this.#gate.hasFree ? undefined : readAhead(d, { js: this.#js!, recent: this.#recent });
      if (!(await this.#claimSlot(d, stop))) break;
      let released = false;
      const claimedAt = performance.now();
      this.#runningSince.set(d, claimedAt);
      const releaseSlot = () => {
        if (released) return;
        released = true;
        this.#runningSince.delete(d);
        this.#lastRunMs = performance.now() - claimedAt;
        this.#gate.release();
      };
      const p = executeDelivery(d, { ...this.#deps(), releaseSlot }, ahead)
        .catch((err) => log.error("bug: delivery execution threw", { err, tag }))
        .finally(() => { releaseSlot(); this.#inflight.delete(p); });
      this.#inflight.add(p);
    }
  }

  /**
   * Pull the next job while the current one runs (hides the pull's round trip and, via
   * `readAhead`, the snapshot read) only while runs are short: the last one finished within
   * PREFETCH_SHORT_RUN_MS and none running has taken longer yet. A job fetched ahead waits for
   * the slot, and behind a long run it would wait while another worker might be idle; so only a
   * job that arrives within one short pull of a run's start can end up behind it, one per tag.
   */
  #prefetchNow(): boolean {
    if (this.opts.prefetch === false || this.opts.runOnce || this.#lastRunMs >= PREFETCH_SHORT_RUN_MS) return false;
    const now = performance.now();
    for (const since of this.#runningSince.values()) if (now - since >= PREFETCH_SHORT_RUN_MS) return false;
    return true;
  }

  /** Claim a run slot for a fetched job; while waiting, keep the message alive. False = stopping (job nak'ed). */
  async #claimSlot(d: Delivery, stop: AbortSignal): Promise<boolean> {
    if (this.#gate.tryClaim()) return true;
    const keepAlive = setInterval(() => d.working(), this.#ackIntervalMs);
    try {
      await this.#gate.claim(stop);
      return true;
    } catch {
      d.nak(0);
      return false;
    } finally {
      clearInterval(keepAlive);
    }
  }

  async #rebind(tag: string) {
    const s = this.opts.settings;
    try {
      await this.#js!.queue.ensureConsumer(tag, { ackWaitSec: s.consumerAckWaitSec, maxDeliver: s.consumerMaxDeliver, maxAckPending: s.consumerMaxAckPending });
    } catch { /* still down; the loop retries */ }
  }

  #deps(): Omit<ExecuteDeps, "releaseSlot"> {
    return {
      js: this.#js!, pool: this.#pool, registry: this.#registry!, settings: this.opts.settings,
      workerId: this.opts.workerId, clock: this.#clock, log: this.opts.log, ackIntervalMs: this.#ackIntervalMs, active: this.#active,
      recent: this.#recent, runnerStderr: this.#runnerStderr,
      requeueDelayMs: this.#pullExpiresMs + 250,
    };
  }
}
