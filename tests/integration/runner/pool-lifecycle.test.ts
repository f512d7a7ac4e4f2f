// Scope: RunnerPool process life cycle — hard kill of the process group, crashes, reuse and
// recycling, strict fresh-process mode with a warm spare, start-up failures, close.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../../../src/lib/async.ts";
import { liveChildren } from "../../helpers/processes.ts";
import { RunnerPool, RunnerStartupError } from "../../../src/runner/pool.ts";
import type { RunnerOutcome, RunnerPoolOptions } from "../../../src/runner/types.ts";
import { FIXTURES, isAlive, makeWorkDir, poolOptions, processesMentioning, refStart } from "./runner-helpers.ts";

const work = makeWorkDir("lifecycle");
const pools: RunnerPool[] = [];

async function openPool(over: Partial<RunnerPoolOptions> = {}): Promise<RunnerPool> {
  const pool = new RunnerPool(await poolOptions(work.dir, over));
  pools.push(pool);
  await pool.start();
  return pool;
}

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close({ graceMs: 200 })));
  const leaked = processesMentioning(work.dir);
  work.cleanup();
  expect(leaked).toEqual([]);
});

function status(o: RunnerOutcome): string {
  return o.kind === "finished" ? o.result.status : o.kind;
}

describe("RunnerPool life cycle", () => {
  test("kill() stops a task that ignores cancel, together with its child process", async () => {
    const pool = await openPool();
    const pidFile = join(work.dir, "stubborn.json");
    const handle = await pool.run(refStart("stubborn", { pid_file: pidFile, seconds: 300 }), () => {});
    const pids = await waitFor(() => {
      try { return JSON.parse(readFileSync(pidFile, "utf8")) as { runner: number; child: number }; } catch { return null; }
    }, { what: "stubborn pid file" });
    expect(pids.runner).toBe(handle.pid);
    handle.cancel("test"); // ignored by the task
    await handle.kill();
    const outcome = await handle.outcome;
    expect(outcome).toMatchObject({ kind: "crashed", killedByUs: true });
    await waitFor(() => !isAlive(pids.runner) && !isAlive(pids.child), { what: "runner and child gone" });
    // the pool replaces the killed runner
    const next = await pool.run(refStart("hello"), () => {});
    expect(next.pid).not.toBe(handle.pid);
    expect(status(await next.outcome)).toBe("COMPLETED");
  });

  test("os._exit(3) in a task is a crash with exit code 3, and the next run gets a new runner", async () => {
    const pool = await openPool();
    const handle = await pool.run(refStart("crash"), () => {});
    const outcome = await handle.outcome;
    expect(outcome).toMatchObject({ kind: "crashed", exitCode: 3, signal: null, killedByUs: false });
    await waitFor(() => pool.stats().crashed === 1, { what: "crash counted" });
    const next = await pool.run(refStart("hello"), () => {});
    expect(next.pid).not.toBe(handle.pid);
    expect(status(await next.outcome)).toBe("COMPLETED");
  });

  test("reuse mode: one process serves N runs, then it is recycled", async () => {
    const pool = await openPool({ maxRunsPerProcess: 3 });
    const pids: number[] = [];
    for (let i = 0; i < 7; i++) {
      const h = await pool.run(refStart("add", { x: i }), () => {});
      expect(status(await h.outcome)).toBe("COMPLETED");
      pids.push(h.pid);
    }
    expect(pids[0]).toBe(pids[1]!);
    expect(pids[1]).toBe(pids[2]!);
    expect(pids[3]).not.toBe(pids[2]!);
    expect(pids[3]).toBe(pids[5]!);
    expect(pids[6]).not.toBe(pids[5]!);
    await waitFor(() => !isAlive(pids[0]!), { what: "recycled runner exits" });
  });

  test("strict mode: every run gets a fresh process and never waits for interpreter start", async () => {
    const pool = await openPool({ maxRunsPerProcess: 1 });
    const pids: number[] = [];
    for (let i = 0; i < 5; i++) {
      // the spare for this run was spawned when the previous one started; let it become ready
      await waitFor(() => pool.stats().warm >= 1, { what: "warm spare" });
      const warmBefore = new Set(liveChildren().filter((c) => c.cmd.includes("pyoco-runner")).map((c) => c.pid));
      const h = await pool.run(refStart("add", { x: i }), () => {});
      // The job went to a runner that was already running (and ready) when it arrived.
      expect(warmBefore.has(h.pid)).toBe(true);
      expect(status(await h.outcome)).toBe("COMPLETED");
      pids.push(h.pid);
    }
    expect(new Set(pids).size).toBe(5);
    await waitFor(() => pids.every((p) => !isAlive(p)), { what: "used runners exit" });
  });

  test("concurrency 2 runs two jobs at once on two processes", async () => {
    const pool = await openPool({ concurrency: 2 });
    const a = await pool.run(refStart("single_slow", { seconds: 20 }), () => {});
    const b = await pool.run(refStart("single_slow", { seconds: 20 }), () => {});
    expect(a.pid).not.toBe(b.pid);
    expect(pool.stats().busy).toBe(2);
    let thirdStarted = false;
    const third = pool.run(refStart("hello"), () => {}).then((h) => { thirdStarted = true; return h; });
    await waitFor(() => pool.stats().warm >= 0, { what: "tick" });
    expect(thirdStarted).toBe(false); // waits for a free slot
    a.cancel();
    b.cancel();
    expect(status(await a.outcome)).toBe("CANCELLED");
    expect(status(await b.outcome)).toBe("CANCELLED");
    expect(status(await (await third).outcome)).toBe("COMPLETED");
  });

  test("recycleIdle replaces warm runners", async () => {
    const pool = await openPool();
    const h1 = await pool.run(refStart("hello"), () => {});
    await h1.outcome;
    await pool.recycleIdle();
    expect(isAlive(h1.pid)).toBe(false);
    const h2 = await pool.run(refStart("hello"), () => {});
    expect(status(await h2.outcome)).toBe("COMPLETED");
    expect(h2.pid).not.toBe(h1.pid);
  });

  test("close() hard-stops a run that outlives the grace period", async () => {
    const pool = await openPool();
    const h = await pool.run(refStart("sleepy", { seconds: 30 }), () => {});
    await pool.close({ graceMs: 100 });
    expect(await h.outcome).toMatchObject({ kind: "crashed", killedByUs: true });
    expect(isAlive(h.pid)).toBe(false);
    await expect(pool.run(refStart("hello"), () => {})).rejects.toThrow("closed");
  });

  test("a resolver file that fails to import is a start-up failure", async () => {
    const pool = new RunnerPool(await poolOptions(work.dir, { resolver: join(FIXTURES, "tasks/broken_resolver.py") + ":resolve_flow" }));
    pools.push(pool);
    const err = await pool.start().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(RunnerStartupError);
    expect((err as RunnerStartupError).code).toBe("resolver_import_error");
    expect((err as RunnerStartupError).message).toContain("broken_resolver cannot be imported");
  });

  test("a Python without pyoco is pyoco_import_error", async () => {
    const pool = new RunnerPool(await poolOptions(work.dir, { env: { PYTHONPATH: join(FIXTURES, "tasks") + "/no-such-dir" } }));
    pools.push(pool);
    const err = await pool.start().then(() => null, (e: unknown) => e);
    // a user machine may have a real Pyoco installed; then start-up succeeds
    if (err) expect((err as RunnerStartupError).code).toMatch(/pyoco_import_error|resolver_import_error/);
  });

  test("a missing interpreter is spawn_failed", async () => {
    const pool = new RunnerPool(await poolOptions(work.dir, { python: join(work.dir, "no-python") }));
    pools.push(pool);
    const err = await pool.start().then(() => null, (e: unknown) => e);
    expect((err as RunnerStartupError).code).toBe("spawn_failed");
  });
});
