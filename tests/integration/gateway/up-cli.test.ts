/**
 * `pyoco up` in-process with real processes: --with-nats-bootstrap starts and stops a real
 * nats-server, --with-worker starts "this program" as a worker (a fixture here) and stops it
 * before NATS, and start-up failures are clear (missing binary, port taken, NATS unreachable,
 * conflicting flags).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../../src/cli/index.ts";
import type { CliIo } from "../../../src/cli/io.ts";
import { freePort } from "../../helpers/ports.ts";
import { isAlive } from "../../helpers/processes.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { portAccepts } from "../../../src/nats-ops/index.ts";

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "pyoco-up-")); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

/** A port nothing listens on right now (the OS picks it; it is released at once). */

interface UpIo extends CliIo { out: string; err: string; stop(): void }

function upIo(env: Record<string, string> = {}, self?: CliIo["self"]): UpIo {
  const graceful = new AbortController();
  const io: UpIo = {
    out: "", err: "",
    stdout(t) { io.out += t; }, stderr(t) { io.err += t; },
    env: { PYOCO_LOAD_DOTENV: "0", PATH: process.env.PATH ?? "", ...env }, cwd: dir,
    signal: graceful.signal, force: new AbortController().signal, signalName: () => null,
    self: self ?? { execPath: process.execPath, prefixArgs: ["src/main.ts"] },
    stop: () => graceful.abort(),
  };
  return io;
}


describe("pyoco up --with-nats-bootstrap", () => {
  test("starts NATS and the gateway, serves runs, and stops both on the signal", async () => {
    const [port, natsPort, httpPort] = [freePort(), freePort(), freePort()];
    const io = upIo();
    const exit = run(["up", "--with-nats-bootstrap", "--port", String(port), "--nats-client-port", String(natsPort),
      "--nats-http-port", String(httpPort), "--data-dir", "nats-data"], io);
    await waitFor(() => io.err.includes("gateway listening"), { timeoutMs: 15_000, what: "the gateway" });
    const natsPid = Number(/nats-server \(pid (\d+)\)/.exec(io.err)![1]);
    expect(io.err).toContain(`listening on nats://127.0.0.1:${natsPort}`);
    expect(io.err).toContain(`gateway listening on http://127.0.0.1:${port}`);

    const submitted = await fetch(`http://127.0.0.1:${port}/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"flow_name":"main"}' });
    expect(submitted.status).toBe(200);
    expect(existsSync(join(dir, "nats-data", "jetstream"))).toBe(true);
    expect((await fetch(`http://127.0.0.1:${httpPort}/varz`)).status).toBe(200);

    io.stop();
    expect(await exit).toBe(0);
    expect(io.err).toContain("pyoco: stopped");
    expect(isAlive(natsPid)).toBe(false);
    expect(await portAccepts("127.0.0.1", natsPort)).toBe(false);
    expect(await portAccepts("127.0.0.1", port)).toBe(false);
  });

  test("a nats-server that dies is restarted; the gateway keeps serving", async () => {
    const [port, natsPort] = [freePort(), freePort()];
    const io = upIo();
    const exit = run(["up", "--with-nats-bootstrap", "--port", String(port), "--nats-client-port", String(natsPort), "--nats-http-port", "0", "--data-dir", "nats-restart"], io);
    try {
      await waitFor(() => io.err.includes("gateway listening"), { timeoutMs: 15_000, what: "the gateway" });
      const first = Number(/nats-server \(pid (\d+)\)/.exec(io.err)![1]);
      process.kill(first, "SIGKILL");
      await waitFor(() => io.err.includes("nats-server restarted"), { timeoutMs: 20_000, what: "the restart" });
      expect(io.err).toContain(`nats-server (pid ${first}) exited unexpectedly`);
      const second = Number(/nats-server restarted \(pid (\d+)\)/.exec(io.err)![1]);
      expect(second).not.toBe(first);
      const submitted = await waitFor(async () => {
        const r = await fetch(`http://127.0.0.1:${port}/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"flow_name":"main"}' });
        return r.status === 200 ? r : null;
      }, { timeoutMs: 15_000, what: "a submit after the restart" });
      expect(submitted.status).toBe(200);
      io.stop();
      expect(await exit).toBe(0);
      expect(isAlive(second)).toBe(false);
    } finally { io.stop(); await exit; }
  });

  test("--with-worker starts this program as a worker and stops it before NATS", async () => {
    const [port, natsPort] = [freePort(), freePort()];
    const record = join(dir, "worker.jsonl");
    const fixture = join(import.meta.dir, "fixtures", "fake-worker-fixture.ts");
    const io = upIo({ FAKE_WORKER_OUT: record }, { execPath: process.execPath, prefixArgs: [fixture] });
    const exit = run(["up", "--with-nats-bootstrap", "--port", String(port), "--nats-client-port", String(natsPort), "--nats-http-port", "0",
      "--data-dir", "nats-w", "--with-worker", "--worker-id", "w9", "--worker-tags", "cpu,gpu", "--worker-flow-resolver", "flows.py:resolve",
      "--worker-poll-timeout", "2.5"], io);
    await waitFor(() => existsSync(record) && readFileSync(record, "utf8").includes("argv"), { timeoutMs: 15_000, what: "the managed worker" });
    const first = JSON.parse(readFileSync(record, "utf8").split("\n")[0]!);
    expect(first.argv).toEqual(["worker", "--worker-id", "w9", "--tags", "cpu,gpu", "--nats-url", `nats://127.0.0.1:${natsPort}`, "--flow-resolver", "flows.py:resolve",
      "--poll-timeout", "2.5"]);
    expect(io.err).toMatch(/managed worker \(pid \d+\) started/);

    io.stop();
    expect(await exit).toBe(0);
    const stopLine = JSON.parse(readFileSync(record, "utf8").trim().split("\n")[1]!);
    expect(stopLine).toEqual({ sigterm: true, natsUp: true });   // NATS was still up when the worker was told to stop
    expect(io.err).not.toContain("exited unexpectedly");
  });
});

describe("pyoco up failures", () => {
  test("a missing nats-server binary exits 1 with an install hint", async () => {
    const io = upIo();
    const code = await run(["up", "--with-nats-bootstrap", "--nats-server-path", join(dir, "no-such-nats-server"), "--nats-client-port", String(freePort())], io);
    expect(code).toBe(1);
    expect(io.err).toContain("ERR-PYOCO-0031: cannot start the local NATS server\n- reason: nats-server not found at ");
    expect(io.err).toContain("apt-get install nats-server");
  });

  test("a taken NATS client port is refused before anything starts", async () => {
    const busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const io = upIo();
      const code = await run(["up", "--with-nats-bootstrap", "--nats-client-port", String(busy.port), "--nats-http-port", "0"], io);
      expect(code).toBe(1);
      expect(io.err).toContain(`- reason: NATS client port is already in use: 127.0.0.1:${busy.port}\n`);
      expect(io.err).toContain("--nats-client-port");
    } finally { busy.stop(true); }
  });

  test("an unreachable NATS exits 1 with a hint to start one", async () => {
    const io = upIo({ PYOCO_NATS_CONNECT_WAIT_SEC: "0" });   // no waiting: fail at once
    const code = await run(["up", "--port", "0", "--nats-url", `nats://127.0.0.1:${freePort()}`], io);
    expect(code).toBe(1);
    expect(io.err).toStartWith("ERR-PYOCO-0003: NATS unavailable\n- reason: cannot use NATS at nats://127.0.0.1:");
    expect(io.err).toContain("--with-nats-bootstrap");
  });

  test("a gateway started before NATS waits (one line per attempt, no traceback) and starts when NATS comes", async () => {
    const [port, natsPort] = [freePort(), freePort()];
    const io = upIo({ PYOCO_LOG_FORMAT: "json" });
    const exit = run(["up", "--port", String(port), "--nats-url", `nats://127.0.0.1:${natsPort}`], io);
    let nats: Awaited<ReturnType<typeof run>> | undefined;
    const natsIo = upIo();
    try {
      await waitFor(() => (io.out.match(/nats not available yet; retrying/g) ?? []).length >= 2, { timeoutMs: 15_000, what: "two retry lines" });
      const retry = io.out.split("\n").filter((l) => l.includes("nats not available yet")).map((l) => JSON.parse(l));
      expect(retry[0]).toMatchObject({ attempt: 1, nats_url: `nats://127.0.0.1:${natsPort}` });
      expect(retry[1].attempt).toBe(2);
      expect(JSON.stringify(retry)).not.toContain("exc_traceback");
      const natsExit = run(["nats", "up", "--port", String(natsPort), "--http-port", "0", "--data-dir", "nats-late"], natsIo);
      await waitFor(() => io.err.includes("gateway listening"), { timeoutMs: 30_000, what: "the gateway" });
      io.stop();
      expect(await exit).toBe(0);
      natsIo.stop();
      nats = await natsExit;
      expect(nats).toBe(0);
    } finally { io.stop(); natsIo.stop(); await exit; }
  });

  test("usage errors exit 2 in argparse style", async () => {
    const conflicting = upIo();
    expect(await run(["up", "--with-nats-bootstrap", "--nats-url", "nats://10.0.0.1:4222"], conflicting)).toBe(2);
    expect(conflicting.err).toContain("pyoco up: error: --nats-url nats://10.0.0.1:4222 differs from the managed NATS URL nats://127.0.0.1:4222");
    const badPort = upIo();
    expect(await run(["up", "--port", "http"], badPort)).toBe(2);
    expect(badPort.err).toContain("argument --port: invalid int value: 'http'");
    const unknown = upIo();
    expect(await run(["up", "--frob"], unknown)).toBe(2);
  });
});
