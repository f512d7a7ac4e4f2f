/**
 * A gateway as its own process (`bun src/main.ts up --port 0`), for tests that kill one with
 * SIGKILL. Resolves once it printed its URL.
 *   const gw = await startGatewayProcess(nats.url, { PYOCO_SCHEDULE_POLL_INTERVAL_SEC: "0.2" });
 *   await fetch(gw.url + "/health");   …   await gw.kill9();  /  await gw.stop();
 */
import { join } from "node:path";
import { waitFor } from "../../src/lib/async.ts";
import { REPO_ROOT } from "./worker.ts";

export interface GatewayProcess {
  pid: number;
  url: string;
  /** SIGKILL: no shutdown at all (a crash). */
  kill9(): Promise<void>;
  /** SIGTERM and wait (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

export async function startGatewayProcess(natsUrl: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PYOCO_")) base[k] = v;
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "up", "--port", "0", "--nats-url", natsUrl], {
    cwd: REPO_ROOT, env: { ...base, PYOCO_LOAD_DOTENV: "0", ...env }, stdout: "ignore", stderr: "pipe", stdin: "ignore",
  });
  let stderr = "";
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderr += dec.decode(chunk, { stream: true });
  })();
  let url: string;
  try {
    url = await waitFor(() => {
      if (proc.exitCode !== null) throw new Error(`gateway exited (${proc.exitCode}):\n${stderr}`);
      return /gateway listening on (http:\/\/\S+)/.exec(stderr)?.[1];
    }, { timeoutMs: 20_000, what: "the gateway process to listen" });
  } catch (err) {
    proc.kill("SIGKILL");
    await proc.exited;
    throw err;
  }
  return {
    pid: proc.pid,
    url,
    async kill9() { proc.kill("SIGKILL"); await proc.exited; },
    async stop(timeoutMs = 10_000) {
      if (proc.exitCode !== null) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      try { await proc.exited; } finally { clearTimeout(timer); }
    },
  };
}
