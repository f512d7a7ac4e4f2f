/**
 * RunnerPool: pre-warmed, supervised Python runners (pyoco-runner.md §6, decisions.md §4–§5).
 * At most `concurrency` runs at once, one run per process at a time. A runner is reused for up
 * to `maxRunsPerProcess` runs and recycled after that, after a crash, a hard kill or a protocol
 * violation. Spares are spawned in the background so a job never waits for interpreter start.
 */
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import type { Logger } from "../lib/log.ts";
import { silentLogger } from "../lib/log.ts";
import { extractRunnerScript } from "./script.ts";
import { RunnerSession, runnerCommand, type Handshake } from "./session.ts";
import type {
  PoolStats, ReadyMessage, RunEvent, RunHandle, RunnerOutcome, RunnerPoolOptions, StartMessage,
} from "./types.ts";

/** The first runner could not start: Python, Pyoco or the resolver is broken. */
export class RunnerStartupError extends Error {
  constructor(readonly code: string, message: string, readonly stderrTail: string) {
    super(`runner start-up failed (${code}): ${message}`);
    this.name = "RunnerStartupError";
  }
}

/** `run()` after `close()`: a caller bug, so it rejects. */
export class PoolClosedError extends Error {
  constructor() { super("runner pool is closed"); this.name = "PoolClosedError"; }
}

type StartupFailure = Extract<Handshake, { ok: false }>;

/** Make a file-form resolver (`dir/file.py:attr`) absolute: runners run in scratch directories. */
export function absolutizeResolver(ref: string, cwd = process.cwd()): string {
  const at = ref.lastIndexOf(":");
  if (at <= 0) return ref;
  const left = ref.slice(0, at);
  if (!left.endsWith(".py") && !left.includes("/")) return ref;
  return `${resolvePath(cwd, left)}:${ref.slice(at + 1)}`;
}

export class RunnerPool {
  #opts: RunnerPoolOptions;
  #log: Logger;
  #workDir: string;
  #script: string | null = null;
  #starting: Promise<ReadyMessage> | null = null;
  #closing: Promise<void> | null = null;
  #closed = false;

  #idle: RunnerSession[] = [];
  /** Spares still starting that no run has claimed yet. */
  #spares = new Set<RunnerSession>();
  #busy = new Set<RunnerSession>();
  #alive = new Set<RunnerSession>();
  #outcomes = new Set<Promise<RunnerOutcome>>();
  /** Slots held by run() calls (acquiring or running). */
  #reserved = 0;
  #slotWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** After a spare failed to start, stop spawning in the background until a run asks again. */
  #spawnPaused = false;
  #stats = { spawned: 0, recycled: 0, crashed: 0 };
  #ready: ReadyMessage | null = null;

  constructor(opts: RunnerPoolOptions, log: Logger = silentLogger) {
    if (!(opts.concurrency >= 1)) throw new RangeError(`concurrency must be >= 1, got ${opts.concurrency}`);
    if (!(opts.maxRunsPerProcess >= 1)) throw new RangeError(`maxRunsPerProcess must be >= 1, got ${opts.maxRunsPerProcess}`);
    this.#opts = { ...opts, resolver: opts.resolver ? absolutizeResolver(opts.resolver) : undefined };
    this.#workDir = resolvePath(opts.workDir);
    this.#log = log;
  }

  /** Info of the last runner that became ready (pyoco impl/version, python). */
  get ready(): ReadyMessage | null { return this.#ready; }

  /** Extract the runner script, spawn the first runner and wait for `ready`. Rejects with RunnerStartupError. */
  start(): Promise<ReadyMessage> {
    return (this.#starting ??= this.#start());
  }

  async #start(): Promise<ReadyMessage> {
    this.#script = await extractRunnerScript(this.#workDir);
    const first = this.#spawn();
    const hs = await first.handshake;
    if (!hs.ok) {
      this.#starting = null; // allow a retry after the environment was fixed
      throw new RunnerStartupError(hs.code, hs.message, hs.stderrTail);
    }
    this.#ready = hs.ready;
    this.#spawnPaused = false;
    if (this.#closed) { void first.retire(); return hs.ready; }
    this.#idle.push(first);
    this.#replenish();
    return hs.ready;
  }

  /** Run one job on a warm runner; waits for a free slot. Events stream to `onEvent`. */
  async run(start: StartMessage, onEvent: (e: RunEvent) => void): Promise<RunHandle> {
    if (this.#closed) throw new PoolClosedError();
    if (!this.#script) await this.start();
    await this.#takeSlot();
    const got = await this.#acquire();
    if (!(got instanceof RunnerSession)) {
      this.#releaseSlot();
      const outcome: RunnerOutcome = { kind: "startup_failed", code: got.code, message: got.message, stderrTail: got.stderrTail };
      return { pid: 0, outcome: Promise.resolve(outcome), cancel() {}, kill: async () => {} };
    }
    const session = got;
    this.#busy.add(session);
    this.#replenish(); // spawn this run's successor now if the runner retires afterwards
    const outcome = session.startRun(start, onEvent).then((r) => this.#finishRun(session, r));
    this.#outcomes.add(outcome);
    void outcome.finally(() => this.#outcomes.delete(outcome));
    return {
      pid: session.pid,
      outcome,
      cancel: (reason?: string) => session.cancel(start.run_id, reason),
      kill: async () => { await session.kill(); await outcome; },
    };
  }

  /** Extra environment for runners spawned from now on (wheel sync: a new PYTHONPATH); pair with recycleIdle(). */
  setRunnerEnv(env: Record<string, string>): void {
    this.#opts = { ...this.#opts, env: { ...this.#opts.env, ...env } };
  }

  /** Recycle every idle runner (e.g. after a wheel update); busy ones are retired after their run. */
  async recycleIdle(): Promise<void> {
    const old = [...this.#idle, ...this.#spares];
    this.#idle = [];
    this.#spares.clear();
    for (const s of this.#busy) s.retireAfterRun = true;
    this.#stats.recycled += old.length;
    this.#replenish();
    await Promise.all(old.map((s) => s.retire()));
  }

  /** Stop accepting runs, let running ones finish within graceMs, then hard-stop their groups. Idempotent. */
  close(opts: { graceMs?: number } = {}): Promise<void> {
    return (this.#closing ??= this.#close(opts.graceMs ?? 10_000));
  }

  async #close(graceMs: number): Promise<void> {
    this.#closed = true;
    for (const w of this.#slotWaiters.splice(0)) w.reject(new PoolClosedError());
    const spare = [...this.#idle, ...this.#spares];
    this.#idle = [];
    this.#spares.clear();
    const retiring = spare.map((s) => s.retire());
    if (this.#outcomes.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...this.#outcomes]),
        new Promise((r) => { timer = setTimeout(r, graceMs); }),
      ]);
      clearTimeout(timer);
    }
    await Promise.all([...this.#busy].map((s) => s.kill()));
    await Promise.all(retiring);
    await Promise.all([...this.#alive].map((s) => s.retire()));
  }

  stats(): PoolStats {
    return { warm: this.#idle.length, busy: this.#busy.size, ...this.#stats };
  }

  // ---------------------------------------------------------------- internals

  #spawn(): RunnerSession {
    const o = this.#opts;
    const cwd = mkdtempSync(join(this.#workDir, "runner-"));
    const session: RunnerSession = new RunnerSession({
      cmd: runnerCommand(o.python, this.#script!, { resolver: o.resolver, warmup: o.warmup, allowedModules: o.allowedModules }),
      cwd,
      env: { ...process.env, ...o.env, PYTHONUNBUFFERED: "1" },
      startupTimeoutMs: o.startupTimeoutMs,
      pingIntervalMs: o.pingIntervalMs,
      killGraceMs: o.killGraceMs,
      log: this.#log,
      onStderr: o.onStderr ? (chunk) => o.onStderr!(session.pid, chunk) : undefined,
    });
    this.#stats.spawned += 1;
    this.#alive.add(session);
    this.#log.debug("runner spawned", { pid: session.pid });
    void session.exited.then(async (exit) => {
      // A runner that never became ready means a broken environment: no background respawn loop.
      if (!(await session.handshake).ok) this.#spawnPaused = true;
      this.#alive.delete(session);
      this.#spares.delete(session);
      const idleAt = this.#idle.indexOf(session);
      if (idleAt >= 0) this.#idle.splice(idleAt, 1);
      if (!exit.requested && !(exit.exitCode === 0 && exit.reason === null)) {
        this.#stats.crashed += 1;
        this.#log.warn("runner exited unexpectedly", {
          pid: session.pid, exitCode: exit.exitCode, signal: exit.signal, reason: exit.reason, stderrTail: exit.stderrTail,
        });
      }
      void rm(cwd, { recursive: true, force: true }).catch(() => undefined);
      this.#replenish();
    });
    return session;
  }

  /**
   * Spares wanted: one per free slot, plus a successor for every busy runner that retires soon.
   * "Soon" is its last tenth of runs, not its last run: an interpreter start (~50–100 ms) is far
   * longer than a trivial run, so a successor spawned at the last run was waited for by the next
   * one (0.5 ms a run on average at 100 runs per process, docs/performance.md).
   */
  #replenish(): void {
    if (this.#closed || this.#spawnPaused || !this.#script) return;
    const max = this.#opts.maxRunsPerProcess;
    const lead = Math.floor(max / 10);
    let retiring = 0;
    for (const s of this.#busy) if (s.retireAfterRun || s.broken || s.runsServed + 1 + lead >= max) retiring += 1;
    // Strict mode (one run per process): one more spare starting ahead, so interpreter start-ups
    // overlap instead of each run waiting for the start-up of the one spare (docs/performance.md).
    const ahead = max === 1 ? 1 : 0;
    const want = this.#opts.concurrency - this.#reserved + retiring + ahead;
    let have = this.#idle.length + this.#spares.size;
    while (have < want) {
      this.#spawnSpare();
      have += 1;
    }
  }

  #spawnSpare(): void {
    const s = this.#spawn();
    this.#spares.add(s);
    void s.handshake.then((hs) => {
      if (!this.#spares.delete(s)) return; // claimed by a run (or recycled) meanwhile
      if (!hs.ok) {
        this.#spawnPaused = true; // a broken environment must not make us spawn in a loop
        this.#log.error("spare runner failed to start", { pid: s.pid, code: hs.code, reason: hs.message, stderrTail: hs.stderrTail });
        return;
      }
      this.#ready = hs.ready;
      if (this.#closed) { void s.retire(); return; }
      this.#idle.push(s);
    });
  }

  async #acquire(): Promise<RunnerSession | StartupFailure> {
    for (;;) {
      const idle = this.#takeOldestIdle();
      if (idle) {
        if (idle.state === "IDLE") return idle;
        continue; // died while idle; its exit handler cleans up
      }
      let s = this.#spares.values().next().value as RunnerSession | undefined;
      if (s) this.#spares.delete(s);
      else {
        this.#spawnPaused = false; // a run is asking: try again
        s = this.#spawn();
      }
      const hs = await s.handshake;
      if (!hs.ok) return hs;
      this.#ready = hs.ready;
      if (s.state === "IDLE") return s;
    }
  }

  /** The idle runner with the most runs served: a successor spawned early waits until its predecessor retires. */
  #takeOldestIdle(): RunnerSession | undefined {
    let best = -1;
    for (let i = 0; i < this.#idle.length; i++) if (best < 0 || this.#idle[i]!.runsServed > this.#idle[best]!.runsServed) best = i;
    return best < 0 ? undefined : this.#idle.splice(best, 1)[0];
  }

  #finishRun(session: RunnerSession, r: Awaited<ReturnType<RunnerSession["startRun"]>>): RunnerOutcome {
    this.#busy.delete(session);
    const reusable = session.state === "IDLE" && !session.broken && !session.retireAfterRun &&
      session.runsServed < this.#opts.maxRunsPerProcess && !this.#closed;
    if (reusable) this.#idle.push(session);
    else if (session.state !== "EXITED") {
      this.#stats.recycled += 1;
      void session.retire();
    }
    this.#releaseSlot();
    this.#replenish();
    if (r.kind === "rejected") {
      // The runner said "busy" although we thought it idle: out of sync, so it was retired above.
      this.#log.error("runner rejected a start", { pid: session.pid, reason: r.reason });
      return { kind: "crashed", exitCode: null, signal: null, stderrTail: session.stderrTail(), killedByUs: false, reason: "rejected" };
    }
    return r;
  }

  #takeSlot(): Promise<void> {
    if (this.#reserved < this.#opts.concurrency) {
      this.#reserved += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.#slotWaiters.push({ resolve: () => { this.#reserved += 1; resolve(); }, reject });
    });
  }

  #releaseSlot(): void {
    this.#reserved -= 1;
    this.#slotWaiters.shift()?.resolve();
  }
}
