// Scope: one RunnerSession against a real runner process — handshake, raw protocol behaviour
// (malformed lines, busy rejection, ping), shutdown/EOF, fatal start-up errors, hang detection.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../../../src/lib/async.ts";
import { encodeMessage } from "../../../src/runner/protocol.ts";
import { extractRunnerScript } from "../../../src/runner/script.ts";
import { RunnerSession, runnerCommand, type SessionOptions } from "../../../src/runner/session.ts";
import type { RunnerToWorker } from "../../../src/runner/types.ts";
import { FIXTURES, RESOLVER, isAlive, makeWorkDir, processesMentioning, pythonEnv, refStart, testPython } from "./runner-helpers.ts";

const work = makeWorkDir("session");
const sessions: RunnerSession[] = [];
let script = "";
let python = "";

beforeAll(async () => {
  script = await extractRunnerScript(work.dir);
  python = await testPython();
});

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.kill()));
  const leaked = processesMentioning(work.dir);
  work.cleanup();
  expect(leaked).toEqual([]);
});

function open(over: Partial<SessionOptions> & { resolver?: string; args?: string[] } = {}) {
  const messages: RunnerToWorker[] = [];
  const cmd = over.args ?? runnerCommand(python, script, { resolver: over.resolver ?? RESOLVER });
  const session = new RunnerSession({
    cmd, cwd: work.dir, env: { ...process.env, ...pythonEnv(), PYTHONUNBUFFERED: "1" }, killGraceMs: 500,
    ...over, onMessage: (m) => messages.push(m),
  });
  sessions.push(session);
  return { session, messages };
}

describe("RunnerSession", () => {
  test("handshake: ready with pid, python and the double", async () => {
    const { session } = open();
    const hs = await session.handshake;
    if (!hs.ok) throw new Error(hs.message);
    expect(hs.ready.pid).toBe(session.pid);
    expect(hs.ready.python).toMatch(/^3\.\d+\.\d+$/);
    expect(hs.ready.pyoco).toEqual({ version: "0.0.0+double", impl: "double" });
    expect(hs.ready.startup_ms).toBeGreaterThan(0);
    expect(session.state).toBe("IDLE");
  });

  test("a malformed line gets protocol_error and the runner keeps working", async () => {
    const { session, messages } = open();
    expect((await session.handshake).ok).toBe(true);
    session.sendRaw("this is not json\n");
    session.sendRaw('{"v":1,"type":"frobnicate"}\n');
    session.sendRaw('{"v":9,"type":"ping","nonce":"x"}\n');
    session.sendRaw(`{"v":1,"type":"start","params":${"[".repeat(5000)}${"]".repeat(5000)}}\n`);   // deeper than Python's json decodes
    const errors = await waitFor(() => {
      const e = messages.filter((m) => m.type === "protocol_error");
      return e.length === 4 ? e : null;
    }, { what: "four protocol errors" });
    expect(errors.map((e) => e.type === "protocol_error" && e.error.code)).toEqual(["invalid_message", "unknown_type", "unsupported_version", "invalid_message"]);
    expect(errors[0]).toMatchObject({ raw: "this is not json\n" });
    expect(await session.ping()).toBe(true);
    const r = await session.startRun(refStart("hello"), () => {});
    expect(r.kind === "finished" && r.result.status).toBe("COMPLETED");
  });

  test("a second start while busy is rejected, and cancel of an unknown run says so", async () => {
    const { session, messages } = open();
    await session.handshake;
    const start = refStart("single_slow", { seconds: 20 });
    const result = session.startRun(start, () => {});
    const other = refStart("hello");
    session.sendRaw(encodeMessage(other));
    session.sendRaw(encodeMessage({ v: 1, type: "cancel", run_id: "nobody" }));
    await waitFor(() => messages.some((m) => m.type === "rejected" && m.run_id === other.run_id), { what: "rejected" });
    await waitFor(() => messages.some((m) => m.type === "cancel_ack" && m.run_id === "nobody" && m.state === "unknown_run"), { what: "unknown_run ack" });
    expect(await session.ping()).toBe(true); // answered during a run
    session.cancel(start.run_id);
    const r = await result;
    expect(r.kind === "finished" && r.result.status).toBe("CANCELLED");
  });

  test("retire() finishes the active run, says bye and exits 0", async () => {
    const { session, messages } = open();
    await session.handshake;
    const result = session.startRun(refStart("sleepy", { seconds: 0.2 }), () => {});
    await session.retire(5_000);
    const r = await result;
    expect(r.kind === "finished" && r.result.status).toBe("COMPLETED");
    expect(messages.at(-1)?.type).toBe("bye");
    expect(await session.exited).toMatchObject({ exitCode: 0, requested: true });
  });

  test("EOF on stdin during a run (the worker died) kills the run's whole process group at once", async () => {
    // Spawned by hand: only a dead worker closes stdin without saying `shutdown` first.
    const pidFile = join(work.dir, "orphan.json");
    const proc = Bun.spawn(runnerCommand(python, script, { resolver: RESOLVER }), {
      cwd: work.dir, env: { ...process.env, ...pythonEnv(), PYTHONUNBUFFERED: "1" }, stdin: "pipe", stdout: "ignore", stderr: "pipe", detached: true,
    });
    try {
      proc.stdin.write(encodeMessage(refStart("stubborn", { pid_file: pidFile, seconds: 300 })));
      await proc.stdin.flush();
      const pids = await waitFor(() => {
        try { return JSON.parse(readFileSync(pidFile, "utf8")) as { runner: number; child: number }; } catch { return null; }
      }, { what: "stubborn pid file" });
      await proc.stdin.end();
      await waitFor(() => !isAlive(pids.runner) && !isAlive(pids.child), { timeoutMs: 5_000, what: "runner and its child gone" });
      expect(await new Response(proc.stderr).text()).toContain("stdin closed during a run");
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  });

  test("shutdown message ends the runner with bye", async () => {
    const { session, messages } = open();
    await session.handshake;
    session.sendRaw(encodeMessage({ v: 1, type: "shutdown" }));
    expect((await session.exited).exitCode).toBe(0);
    expect(messages.at(-1)?.type).toBe("bye");
  });

  test("an unsupported protocol version is fatal with exit code 3", async () => {
    const { session } = open({ args: [python, script, "--protocol", "2"] });
    const hs = await session.handshake;
    expect(hs).toMatchObject({ ok: false, code: "unsupported_protocol" });
    expect((await session.exited).exitCode).toBe(3);
  });

  test("a resolver module that cannot be imported is fatal resolver_import_error", async () => {
    const { session } = open({ resolver: "broken_resolver:resolve_flow" });
    const hs = await session.handshake;
    expect(hs).toMatchObject({ ok: false, code: "resolver_import_error" });
    if (!hs.ok) expect(hs.message).toContain("cannot be imported on purpose");
  });

  test("a runner that never sends ready hits the start-up timeout", async () => {
    const { session } = open({ args: [python, "-c", "import time; time.sleep(30)"], startupTimeoutMs: 200 });
    expect(await session.handshake).toMatchObject({ ok: false, code: "startup_timeout" });
    expect(isAlive(session.pid)).toBe(false);
  });

  test("garbage on the protocol channel stops the runner as a protocol violation", async () => {
    const { session } = open({ args: [python, join(FIXTURES, "tasks", "garbage_runner_fixture.py")] });
    const hs = await session.handshake;
    expect(hs.ok).toBe(true);
    const r = await session.startRun(refStart("hello"), () => {});
    expect(r).toMatchObject({ kind: "crashed", reason: "protocol_violation", killedByUs: false });
  });

  test("an interpreter stuck holding the GIL is detected by missed pongs", async () => {
    const { session } = open({ pingIntervalMs: 100 });
    await session.handshake;
    const r = await session.startRun(refStart("gil_hog"), () => {});
    expect(r).toMatchObject({ kind: "crashed", reason: "unresponsive", killedByUs: false });
  });
});
