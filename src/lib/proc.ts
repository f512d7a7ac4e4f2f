/**
 * Supervised child processes: the ONLY module that calls Bun.spawn (architecture.md §4 rule 8).
 * A child is spawned detached (its own process group), so signals sent to `-pid` reach the
 * grandchildren too. Output arrives as raw byte chunks; callers frame it themselves.
 */
import { sideEffect } from "./dry-run.ts";

export interface SpawnSupervisedOptions {
  cmd: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Run in a new session / process group (default true) so the whole group can be signalled. */
  detached?: boolean;
  onStdout?: (chunk: Uint8Array) => void;
  onStderr?: (chunk: Uint8Array) => void;
  /** How long to keep draining stdout/stderr after the process exited (a grandchild may hold
   *  the pipe open). Default 1_000 ms. */
  drainMs?: number;
}

export interface ExitInfo { exitCode: number | null; signal: string | null }

export interface SupervisedProcess {
  readonly pid: number;
  /** Resolves once the process exited AND its output was delivered (or drainMs passed). Never rejects. */
  readonly exited: Promise<ExitInfo>;
  readonly hasExited: boolean;
  /** Write to stdin; returns false when the pipe is gone (never throws). */
  write(bytes: Uint8Array | string): boolean;
  closeStdin(): void;
  /** Signal the whole process group (falls back to the pid alone); false when nothing was signalled. */
  signalGroup(sig: NodeJS.Signals): boolean;
  /** SIGTERM to the group → graceMs → SIGKILL; always awaits the exit. Idempotent. */
  stop(opts?: { graceMs?: number }): Promise<ExitInfo>;
}

/** Thrown when the executable cannot be started at all (ENOENT, EACCES). */
export class SpawnError extends Error {
  constructor(message: string, options?: ErrorOptions) { super(message, options); this.name = "SpawnError"; }
}

async function pump(stream: ReadableStream<Uint8Array> | undefined, sink?: (c: Uint8Array) => void): Promise<void> {
  if (!stream) return;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value && value.byteLength > 0 && sink) {
        try { sink(value); } catch { /* a consumer bug must not stop the pump */ }
      }
    }
  } catch {
    // stream torn down (process killed): nothing more to deliver
  } finally {
    reader.releaseLock();
  }
}

function timeout(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function spawnSupervised(opts: SpawnSupervisedOptions): SupervisedProcess {
  sideEffect(`starting ${opts.cmd[0]}`);
  const detached = opts.detached ?? true;
  let proc: ReturnType<typeof Bun.spawn<"pipe", "pipe", "pipe">>;
  try {
    proc = Bun.spawn(opts.cmd, {
      cwd: opts.cwd,
      env: opts.env as Record<string, string> | undefined,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      detached,
    });
  } catch (err) {
    throw new SpawnError(`cannot start ${opts.cmd[0]}: ${(err as Error).message}`, { cause: err });
  }
  const pid = proc.pid;
  let exitedFlag = false;
  let stdinOpen = true;
  const drainMs = opts.drainMs ?? 1_000;
  const outDone = pump(proc.stdout, opts.onStdout);
  const errDone = pump(proc.stderr, opts.onStderr);

  const exited: Promise<ExitInfo> = (async () => {
    await proc.exited.catch(() => undefined);
    exitedFlag = true;
    stdinOpen = false;
    // Deliver everything the child wrote before it died (e.g. its last protocol line).
    await Promise.race([Promise.all([outDone, errDone]), timeout(drainMs)]);
    const sig = proc.signalCode;
    return { exitCode: proc.exitCode, signal: sig == null ? null : String(sig) };
  })();

  function signalGroup(sig: NodeJS.Signals): boolean {
    if (detached) {
      try { process.kill(-pid, sig); return true; } catch { /* group gone: try the pid */ }
    }
    if (exitedFlag) return false;
    try { proc.kill(sig); return true; } catch { return false; }
  }

  let stopping: Promise<ExitInfo> | undefined;
  function stop(stopOpts: { graceMs?: number } = {}): Promise<ExitInfo> {
    return (stopping ??= (async () => {
      const graceMs = stopOpts.graceMs ?? 2_000;
      if (!exitedFlag) {
        signalGroup("SIGTERM");
        await Promise.race([proc.exited.catch(() => undefined), timeout(graceMs)]);
      }
      // SIGKILL whatever is left of the group, also stragglers that outlived the leader.
      signalGroup("SIGKILL");
      return exited;
    })());
  }

  return {
    pid,
    exited,
    get hasExited() { return exitedFlag; },
    write(bytes) {
      if (!stdinOpen) return false;
      try {
        proc.stdin.write(bytes);
        const flushed = proc.stdin.flush();
        // A dead pipe surfaces asynchronously; the exit handler reports it, not an unhandled rejection.
        if (flushed instanceof Promise) flushed.catch(() => { stdinOpen = false; });
        return true;
      } catch {
        stdinOpen = false;
        return false;
      }
    },
    closeStdin() {
      if (!stdinOpen) return;
      stdinOpen = false;
      try {
        const ended = proc.stdin.end();
        if (ended instanceof Promise) ended.catch(() => undefined);
      } catch { /* already closed */ }
    },
    signalGroup,
    stop,
  };
}
