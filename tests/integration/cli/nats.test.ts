/** `pyoco nats doctor|status|up` against real nats-servers. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../../src/cli/index.ts";
import { portAccepts } from "../../../src/nats-ops/index.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { captureIo } from "../../helpers/cli.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { freePort } from "../../helpers/ports.ts";

let nats: NatsServer;
beforeAll(async () => { nats = await startNatsServer(); });
afterAll(async () => { await nats.stop(); });

test("doctor reports missing resources (exit 1), --fix creates them, then all is ok", async () => {
  const io = captureIo({ PYOCO_NATS_URL: nats.url });
  expect(await run(["nats", "doctor"], io)).toBe(1);
  expect(io.out).toContain("MISS PYOCO_WORK");
  expect(io.err).toContain("pyoco nats doctor --fix");
  const fixed = captureIo({ PYOCO_NATS_URL: nats.url });
  expect(await run(["nats", "doctor", "--fix"], fixed)).toBe(0);
  expect(fixed.out).toContain("fix  created stream PYOCO_WORK");
  expect(fixed.out).not.toContain("MISS");
});

test("status prints streams and queues as JSON", async () => {
  const io = captureIo({ PYOCO_NATS_URL: nats.url });
  expect(await run(["nats", "status", "--nats-url", nats.url, "--output", "json"], io)).toBe(0);
  const status = JSON.parse(io.out);
  expect(status).toMatchObject({ nats_url: nats.url, connected: true, queues: [] });
  expect(status.streams.KV_pyoco_runs).toBe(0);
});

test("status against a server that is not running explains how to start one", async () => {
  const io = captureIo({ PYOCO_NATS_URL: `nats://127.0.0.1:${freePort()}` });
  expect(await run(["nats", "status"], io)).toBe(1);
  expect(io.err).toContain("ERR-PYOCO-0003");
  expect(io.err).toContain("pyoco nats up");
});

test("up runs a local JetStream server in the foreground until SIGTERM", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pyoco-nats-up-"));
  const port = freePort();
  const proc = Bun.spawn([process.execPath, "src/main.ts", "nats", "up", "--port", String(port), "--http-port", String(freePort()), "--data-dir", join(dir, "store")],
    { stdout: "pipe", stderr: "pipe", env: { ...process.env, PYOCO_LOAD_DOTENV: "0" } });
  try {
    await waitFor(() => portAccepts("127.0.0.1", port), { timeoutMs: 10_000, what: "nats up listening" });
    const io = captureIo({ PYOCO_NATS_URL: `nats://127.0.0.1:${port}` });
    expect(await run(["nats", "doctor", "--fix"], io)).toBe(0);
  } finally {
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  }
  expect(await portAccepts("127.0.0.1", port)).toBe(false);
});
