/**
 * A worker started before NATS waits and retries with backoff (one log line per attempt, no
 * stack trace) and starts normally once a server appears on its URL.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPyoco, pyocoEnv } from "../helpers/cluster.ts";
import { freePort } from "../helpers/ports.ts";
import { REPO_ROOT, startWorker } from "../helpers/worker.ts";

test("a worker started before NATS waits for it, then starts", async () => {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "pyoco-late-nats-"));
  const worker = await startWorker({ natsUrl: `nats://127.0.0.1:${port}`, tags: ["late"], workerId: "w-late", waitReady: false });
  let nats: ReturnType<typeof Bun.spawn> | null = null;
  try {
    const second = await worker.waitForLog((l) => l.message === "nats not available yet; retrying" && l.attempt === 2, 20_000);
    expect(second).toMatchObject({ level: "WARNING", nats_url: `nats://127.0.0.1:${port}` });
    expect(second.exc_traceback).toBeUndefined();
    expect(worker.logs().filter((l) => l.message === "nats not available yet; retrying").length).toBe(2);
    nats = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "nats", "up", "--port", String(port), "--http-port", "0", "--data-dir", dir],
      { env: pyocoEnv(), stdout: "ignore", stderr: "ignore" });
    await worker.waitForLog((l) => l.message === "worker started", 30_000);
    expect(worker.logs().some((l) => l.message === "nats connected")).toBe(true);
  } finally {
    await worker.stop();
    nats?.kill("SIGTERM");
    await nats?.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test("--nats-url is accepted before the nats subcommand; a seed list with a dead first server works", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pyoco-seeds-"));
  const port = freePort();
  const nats = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "nats", "up", "--port", String(port), "--http-port", "0", "--data-dir", dir],
    { env: pyocoEnv(), stdout: "ignore", stderr: "pipe" });
  try {
    const seeds = `nats://127.0.0.1:${freePort()},nats://127.0.0.1:${port}`;
    let r = { code: -1, out: "", err: "" };
    for (let i = 0; i < 50 && r.code !== 0; i++) {
      r = await runPyoco(["nats", "--nats-url", seeds, "doctor", "--fix"], pyocoEnv());
      if (r.code !== 0) await Bun.sleep(200);
    }
    expect(r.code).toBe(0);
    const before = await runPyoco(["nats", "--nats-url", seeds, "status", "--output", "json"], pyocoEnv());
    expect(before.code).toBe(0);
    expect(JSON.parse(before.out).server.cluster).toBeNull();
    const after = await runPyoco(["nats", "status", `--nats-url=${seeds}`], pyocoEnv());
    expect(after.code).toBe(0);
    expect(after.out).toContain("single server (no cluster)");
  } finally {
    nats.kill("SIGTERM");
    await nats.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
