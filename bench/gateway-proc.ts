/**
 * Bench helper: the gateway as its own process (`bun src/main.ts up`), so the load generator and
 * the gateway do not share one event loop. `rssMb()` reads the gateway's resident memory.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../src/lib/async.ts";

export interface GatewayProc { url: string; pid: number; startedAt: number; rssMb(): number; stop(): Promise<void> }

export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** Start `pyoco up` against `natsUrl`; resolves once /health answers (not necessarily index-ready). */
export async function startGatewayProc(natsUrl: string, env: Record<string, string> = {}): Promise<GatewayProc> {
  const port = freePort();
  const startedAt = performance.now();
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../src/main.ts"), "up", "--port", String(port), "--nats-url", natsUrl], {
    env: { PATH: process.env.PATH ?? "", PYOCO_LOAD_DOTENV: "0", PYOCO_LOG_LEVEL: "WARNING", ...env }, stdout: "ignore", stderr: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/health`).catch(() => null))?.ok, { timeoutMs: 30_000, intervalMs: 5, what: "gateway /health" });
  return {
    url, pid: proc.pid, startedAt,
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))![1]) / 1024,
    stop: async () => { proc.kill("SIGTERM"); await proc.exited; },
  };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
