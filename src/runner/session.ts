/**
 * One supervised runner process (architecture.md §4 rules 7–8): spawned detached in its own
 * process group, handshake raced against exit and a start-up timeout, requests correlated by
 * run_id / nonce, and the process exit settles everything still pending. stderr is never
 * parsed, only kept as a bounded tail for crash reports.
 */
import { stripLineMarks } from "./stderr-lines.ts";
import type { Logger } from "../lib/log.ts";
import { silentLogger } from "../lib/log.ts";
import { spawnSupervised, type ExitInfo, type SupervisedProcess } from "../lib/proc.ts";
import { LineSplitter } from "./lines.ts";
import { decodeLine, encodeMessage, isRunEvent } from "./protocol.ts";
import type {
  FatalMessage, ReadyMessage, RunEvent, RunnerOutcome, RunnerToWorker, StartMessage, WorkerToRunner,
} from "./types.ts";

export interface SessionOptions {
  /** Full command: interpreter, runner script and flags (see `runnerCommand`). */
  cmd: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** Default 20_000. */
  startupTimeoutMs?: number;
  /** Ping period while a run is active; 3 missed periods = hung interpreter. Default 5_000. */
  pingIntervalMs?: number;
  /** SIGTERM → SIGKILL delay of a hard stop. Default 2_000. */
  killGraceMs?: number;
  /** Bytes of stderr kept for crash reports. Default 8 KiB. */
  stderrTailBytes?: number;
  log?: Logger;
  onStderr?: (chunk: Uint8Array) => void;
  /** Every decoded runner message (diagnostics and tests). */
  onMessage?: (msg: RunnerToWorker) => void;
}

export type Handshake =
  | { ok: true; ready: ReadyMessage }
  | { ok: false; code: string; message: string; stderrTail: string };

/** What `startRun` settles with: an outcome, or the runner's "busy" answer (a pool bug). */
export type SessionRunResult = RunnerOutcome | { kind: "rejected"; reason: string };

export interface SessionExit extends ExitInfo {
  /** The stop was requested (kill, retire, pool close), so this is not a crash. */
  requested: boolean;
  /** Why the session ended it on its own, e.g. "protocol_violation", "unresponsive", "startup_timeout". */
  reason: string | null;
  stderrTail: string;
}

export type SessionState = "STARTING" | "IDLE" | "BUSY" | "EXITED";

interface ActiveRun {
  runId: string;
  onEvent: (e: RunEvent) => void;
  resolve: (r: SessionRunResult) => void;
  cancelSent: boolean;
}

/** Bounded tail of a byte stream. */
class ByteTail {
  #chunks: Uint8Array[] = [];
  #size = 0;
  constructor(readonly max: number) {}
  push(chunk: Uint8Array) {
    this.#chunks.push(chunk.slice());
    this.#size += chunk.length;
    if (this.#size > this.max * 2) this.#compact();
  }
  #compact() {
    const all = Buffer.concat(this.#chunks);
    const keep = all.subarray(Math.max(0, all.length - this.max));
    this.#chunks = [new Uint8Array(keep)];
    this.#size = keep.length;
  }
  text(): string {
    this.#compact();
    return Buffer.from(this.#chunks[0] ?? new Uint8Array()).toString("utf8");
  }
}

export function runnerCommand(python: string, script: string, o: { resolver?: string; warmup?: boolean; allowedModules?: readonly string[] } = {}): string[] {
  const cmd = [python, script, "--protocol", "1", "--setsid"];
  if (o.warmup ?? true) cmd.push("--warmup");
  if (o.resolver) cmd.push("--resolver", o.resolver);
  for (const prefix of o.allowedModules ?? []) cmd.push("--allow-module", prefix);
  return cmd;
}

export class RunnerSession {
  readonly pid: number;
  /** Settles with `ready` or the start-up failure; never rejects. */
  readonly handshake: Promise<Handshake>;
  /** Settles when the process is gone; never rejects. */
  readonly exited: Promise<SessionExit>;
  /** Runs that reached run_finished on this process. */
  runsServed = 0;
  /** A protocol violation or protocol_error was seen: never reuse this runner. */
  broken = false;
  /** Pool bookkeeping: retire after the current run (wheel update, recycleIdle). */
  retireAfterRun = false;

  #state: SessionState = "STARTING";
  #proc: SupervisedProcess | null = null;
  #lines = new LineSplitter(1 << 20);
  #tail: ByteTail;
  #log: Logger;
  #opts: SessionOptions;
  #run: ActiveRun | null = null;
  #pings = new Map<string, { resolve: (ok: boolean) => void; sentAt: number }>();
  #nonce = 0;
  #fatal: FatalMessage | null = null;
  #requested = false;
  #reason: string | null = null;
  #settleHandshake!: (h: Handshake) => void;
  #startupTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;

  constructor(opts: SessionOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? silentLogger;
    this.#tail = new ByteTail(opts.stderrTailBytes ?? 8 * 1024);
    this.handshake = new Promise((resolve) => { this.#settleHandshake = resolve; });
    try {
      this.#proc = spawnSupervised({
        cmd: opts.cmd, cwd: opts.cwd, env: opts.env, detached: true,
        onStdout: (chunk) => this.#onStdout(chunk),
        onStderr: (chunk) => { this.#tail.push(chunk); opts.onStderr?.(chunk); },
      });
    } catch (err) {
      this.pid = 0;
      this.#state = "EXITED";
      this.#settleHandshake({ ok: false, code: "spawn_failed", message: (err as Error).message, stderrTail: "" });
      this.exited = Promise.resolve({ exitCode: null, signal: null, requested: false, reason: "spawn_failed", stderrTail: "" });
      return;
    }
    this.pid = this.#proc.pid;
    this.#startupTimer = setTimeout(() => {
      if (this.#state !== "STARTING") return;
      this.#reason = "startup_timeout";
      void this.#proc?.stop({ graceMs: this.#opts.killGraceMs ?? 2_000 });
    }, opts.startupTimeoutMs ?? 20_000);
    this.exited = this.#proc.exited.then((info) => this.#onExit(info));
  }

  get state(): SessionState { return this.#state; }
  stderrTail(): string { return stripLineMarks(this.#tail.text()); }

  /** Send `start`; settles with the run's outcome (crash and hang included). Only when IDLE. */
  startRun(msg: StartMessage, onEvent: (e: RunEvent) => void): Promise<SessionRunResult> {
    if (this.#state !== "IDLE") throw new Error(`runner ${this.pid} is ${this.#state}, cannot start a run`);
    this.#state = "BUSY";
    const result = new Promise<SessionRunResult>((resolve) => {
      this.#run = { runId: msg.run_id, onEvent, resolve, cancelSent: false };
    });
    this.#send(msg);
    this.#startPinging();
    return result;
  }

  /** Cooperative cancel of the active run; sent at most once per run. */
  cancel(runId: string, reason?: string): void {
    const run = this.#run;
    if (!run || run.runId !== runId || run.cancelSent) return;
    run.cancelSent = true;
    this.#send({ v: 1, type: "cancel", run_id: runId, reason, requested_at: Date.now() / 1000 });
  }

  /** Resolves true on pong, false on exit or timeout. */
  ping(timeoutMs = 5_000): Promise<boolean> {
    const nonce = String(++this.#nonce);
    if (this.#state === "EXITED") return Promise.resolve(false);
    const pong = new Promise<boolean>((resolve) => this.#pings.set(nonce, { resolve, sentAt: Date.now() }));
    this.#send({ v: 1, type: "ping", nonce });
    const timer = setTimeout(() => this.#settlePing(nonce, false), timeoutMs);
    return pong.finally(() => clearTimeout(timer));
  }

  /** Raw bytes to the runner's stdin (tests: malformed lines). */
  sendRaw(bytes: Uint8Array | string): boolean {
    return this.#proc?.write(bytes) ?? false;
  }

  /** Hard stop requested by the owner: SIGTERM to the group, SIGKILL after killGraceMs. */
  async kill(): Promise<void> {
    this.#requested = true;
    await this.#proc?.stop({ graceMs: this.#opts.killGraceMs ?? 2_000 });
  }

  /**
   * Polite stop: `shutdown`, then EOF (the runner finishes an active run, says bye, exits 0); hard
   * stop after graceMs. EOF alone during a run means "worker gone" to the runner, which then kills
   * its process group, so a polite stop must say `shutdown` first.
   */
  async retire(graceMs = this.#opts.killGraceMs ?? 2_000): Promise<void> {
    this.#requested = true;
    const proc = this.#proc;
    if (!proc || proc.hasExited) { await this.exited; return; }
    this.#send({ v: 1, type: "shutdown" });
    proc.closeStdin();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => { timer = setTimeout(() => r("late"), graceMs); });
    const first = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (first === "late") await proc.stop({ graceMs: this.#opts.killGraceMs ?? 2_000 });
    await this.exited;
  }

  // ---------------------------------------------------------------- internals

  #send(msg: WorkerToRunner): void {
    // A dead pipe is not an error here: the exit handler settles whatever is pending.
    this.#proc?.write(encodeMessage(msg));
  }

  #onStdout(chunk: Uint8Array): void {
    for (const ev of this.#lines.push(chunk)) {
      if (ev.kind === "line") this.#onLine(ev.bytes);
      else if (ev.kind === "too_long") this.#violation(`runner line too long (${ev.size} bytes)`);
    }
  }

  #onLine(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const msg = decodeLine(bytes);
    if (msg.type === "decode_failure") {
      this.#violation(`undecodable runner line (${msg.code}: ${msg.message})`, msg.raw);
      return;
    }
    try { this.#opts.onMessage?.(msg); } catch { /* diagnostics only */ }
    this.#dispatch(msg);
  }

  #dispatch(msg: RunnerToWorker): void {
    const run = this.#run;
    switch (msg.type) {
      case "ready":
        if (this.#state !== "STARTING") return this.#violation("second ready");
        clearTimeout(this.#startupTimer);
        this.#state = "IDLE";
        this.#settleHandshake({ ok: true, ready: msg });
        return;
      case "fatal":
        this.#fatal = msg;
        this.#log.warn("runner reported fatal error", { pid: this.pid, code: msg.error.code, reason: msg.error.message });
        return;
      case "run_finished":
        if (!run || run.runId !== msg.run_id) {
          this.#log.warn("run_finished for an unknown run", { pid: this.pid, runId: msg.run_id });
          return;
        }
        this.#endRun();
        this.runsServed += 1;
        run.resolve({ kind: "finished", result: msg });
        return;
      case "rejected":
        if (!run || run.runId !== msg.run_id) return;
        this.broken = true;
        this.#endRun();
        run.resolve({ kind: "rejected", reason: msg.reason });
        return;
      case "pong":
        if (msg.nonce != null) this.#settlePing(msg.nonce, true);
        return;
      case "protocol_error":
        // The runner could not read something we sent: our bug, so retire this runner after the run.
        this.broken = true;
        this.#log.warn("runner reported a protocol error", { pid: this.pid, code: msg.error.code, reason: msg.error.message });
        return;
      case "bye":
        return;
      default:
        if (isRunEvent(msg) && run && msg.run_id === run.runId) {
          try { run.onEvent(msg); } catch (err) {
            this.#log.error("run event handler threw", { pid: this.pid, runId: run.runId, err });
          }
        }
    }
  }

  #endRun(): void {
    this.#run = null;
    if (this.#state === "BUSY") this.#state = "IDLE";
    clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
    for (const nonce of this.#pings.keys()) this.#settlePing(nonce, true);
  }

  #startPinging(): void {
    const every = this.#opts.pingIntervalMs ?? 5_000;
    if (every <= 0) return;
    let outstanding: { nonce: string; sentAt: number } | null = null;
    this.#pingTimer = setInterval(() => {
      if (outstanding && this.#pings.has(outstanding.nonce)) {
        if (Date.now() - outstanding.sentAt >= 3 * every) {
          this.#log.warn("runner unresponsive, stopping it", { pid: this.pid, missedMs: Date.now() - outstanding.sentAt });
          this.#reason = "unresponsive";
          this.broken = true;
          void this.#proc?.stop({ graceMs: this.#opts.killGraceMs ?? 2_000 });
        }
        return;
      }
      const nonce = String(++this.#nonce);
      outstanding = { nonce, sentAt: Date.now() };
      this.#pings.set(nonce, { resolve: () => undefined, sentAt: outstanding.sentAt });
      this.#send({ v: 1, type: "ping", nonce });
    }, every);
    (this.#pingTimer as { unref?: () => void }).unref?.();
  }

  #settlePing(nonce: string, ok: boolean): void {
    const p = this.#pings.get(nonce);
    if (!p) return;
    this.#pings.delete(nonce);
    p.resolve(ok);
  }

  /** The runner broke framing or the message contract: it can no longer be trusted. */
  #violation(what: string, raw?: string): void {
    this.broken = true;
    this.#log.warn("runner protocol violation, stopping it", { pid: this.pid, reason: what, raw });
    if (this.#reason === null) this.#reason = "protocol_violation";
    void this.#proc?.stop({ graceMs: this.#opts.killGraceMs ?? 2_000 });
  }

  #onExit(info: ExitInfo): SessionExit {
    const rest = this.#lines.end();
    if (rest) this.#log.warn("runner left a partial line at exit", { pid: this.pid, kind: rest.kind });
    const prev = this.#state;
    this.#state = "EXITED";
    clearTimeout(this.#startupTimer);
    clearInterval(this.#pingTimer);
    const stderrTail = this.stderrTail();
    if (prev === "STARTING") {
      const fatal = this.#fatal?.error;
      this.#settleHandshake(fatal
        ? { ok: false, code: fatal.code, message: fatal.message, stderrTail }
        : this.#reason === "startup_timeout"
          ? { ok: false, code: "startup_timeout", message: `runner sent no ready within ${this.#opts.startupTimeoutMs ?? 20_000} ms`, stderrTail }
          : { ok: false, code: "exited_before_ready", message: `runner exited before ready (exit code ${info.exitCode}, signal ${info.signal})`, stderrTail });
    }
    const run = this.#run;
    this.#run = null;
    run?.resolve({
      kind: "crashed", exitCode: info.exitCode, signal: info.signal, stderrTail,
      killedByUs: this.#requested, ...(this.#reason ? { reason: this.#reason } : {}),
    });
    for (const nonce of [...this.#pings.keys()]) this.#settlePing(nonce, false);
    return { ...info, requested: this.#requested, reason: this.#reason, stderrTail };
  }
}
