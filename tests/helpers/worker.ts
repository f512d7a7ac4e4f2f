/**
 * A real `pyoco worker` subprocess (`bun src/main.ts worker …`) running the Pyoco test double and
 * the demo tasks. `startWorker` resolves once the worker logged "worker started"; `stop()` sends
 * SIGTERM and waits; `kill9()` simulates a crash. Logs are parsed JSON lines from stdout.
 *   const w = await startWorker({ natsUrl, tags: ["t1"], workerId: "w1" });  …  await w.stop();
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { waitFor } from "../../src/lib/async.ts";

export const REPO_ROOT = resolve(import.meta.dir, "../..");
export const FIXTURES = join(REPO_ROOT, "tests/fixtures/python");
export const DOUBLE_DIR = join(FIXTURES, "pyoco_double");
export const TASKS_DIR = join(FIXTURES, "tasks");
/** File-form resolver of the demo tasks (works from any cwd). */
export const DEMO_RESOLVER = `${join(TASKS_DIR, "demo_tasks.py")}:resolve_flow`;

export function testPythonPath(): string {
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

/** Environment for a worker with the double: PYTHONPATH, interpreter, no .env, fast-ish heartbeats. */
export function workerEnv(natsUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PYOCO_")) env[k] = v;
  return {
    ...env,
    PYOCO_LOAD_DOTENV: "0",
    PYOCO_NATS_URL: natsUrl,
    PYOCO_PYTHON: testPythonPath(),
    PYTHONPATH: `${DOUBLE_DIR}:${TASKS_DIR}`,
    ...extra,
  };
}

export interface WorkerOptions {
  natsUrl: string;
  tags?: string[];
  workerId?: string;
  /** Extra env (PYOCO_* settings). */
  env?: Record<string, string>;
  /** Extra CLI args. */
  args?: string[];
  /** Resolver spec; default the demo resolver; null for none. */
  resolver?: string | null;
  /** Wait for "worker started" (default true). */
  waitReady?: boolean;
}

export interface StartedWorker {
  pid: number;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
  stderr(): string;
  /** Wait until a log line matches. */
  waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM, wait for exit (second SIGTERM forces); returns the exit code. */
  stop(timeoutMs?: number): Promise<number>;
  /** SIGKILL the worker alone (its runners notice stdin EOF). */
  kill9(): Promise<void>;
}

export async function startWorker(opts: WorkerOptions): Promise<StartedWorker> {
  const args = ["worker", "--tags", (opts.tags ?? ["default"]).join(","), "--worker-id", opts.workerId ?? "worker"];
  const resolver = opts.resolver === undefined ? DEMO_RESOLVER : opts.resolver;
  if (resolver) args.push("--flow-resolver", resolver);
  args.push(...(opts.args ?? []));
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), ...args], {
    cwd: REPO_ROOT, env: workerEnv(opts.natsUrl, opts.env), stdout: "pipe", stderr: "pipe", stdin: "ignore",
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = "";
  const readOut = (async () => {
    let buf = "";
    const dec = new TextDecoder();
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try { lines.push(JSON.parse(line)); } catch { lines.push({ raw: line }); }
      }
    }
  })();
  const readErr = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderr += dec.decode(chunk, { stream: true });
  })();
  const exited = proc.exited.then(async (code) => { await Promise.allSettled([readOut, readErr]); return code; });
  let exitedCode: number | null = null;
  void exited.then((c) => { exitedCode = c; });

  const waitForLog = async (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 15_000) =>
    waitFor(() => {
      const hit = lines.find(pred);
      if (hit) return hit;
      if (exitedCode !== null) throw new Error(`worker exited (${exitedCode}) before the log line appeared:\n${stderr}`);
      return null;
    }, { timeoutMs, what: "worker log line" });

  const w: StartedWorker = {
    pid: proc.pid,
    exited,
    logs: () => lines,
    stderr: () => stderr,
    waitForLog,
    async stop(timeoutMs = 20_000) {
      if (exitedCode === null) proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      try { return await exited; } finally { clearTimeout(timer); }
    },
    async kill9() {
      proc.kill("SIGKILL");
      await exited;
    },
  };
  if (opts.waitReady !== false) {
    try {
      await waitForLog((l) => l.message === "worker started", 20_000);
    } catch (err) {
      await w.stop(2_000);
      throw new Error(`worker did not start: ${(err as Error).message}\nstderr:\n${stderr}`);
    }
  }
  return w;
}
