// Scope: contract cases of pyoco-runner.md §7.3 through a RunnerPool with real Python runners
// and the Pyoco test double: results, resolve errors, task errors, noisy tasks, cancellation.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitFor } from "../../../src/lib/async.ts";
import { RunnerPool } from "../../../src/runner/pool.ts";
import type { RunEvent, RunFinishedMessage, RunnerOutcome, StartMessage } from "../../../src/runner/types.ts";
import { makeWorkDir, poolOptions, processesMentioning, refStart, workflowStart } from "./runner-helpers.ts";

const work = makeWorkDir("contract");
let pool: RunnerPool;

beforeAll(async () => {
  pool = new RunnerPool(await poolOptions(work.dir));
  await pool.start();
});

afterAll(async () => {
  await pool.close({ graceMs: 500 });
  const leaked = processesMentioning(work.dir);
  work.cleanup();
  expect(leaked).toEqual([]);
});

async function runToEnd(start: StartMessage, onEvent?: (e: RunEvent, all: RunEvent[]) => void) {
  const events: RunEvent[] = [];
  const handle = await pool.run(start, (e) => { events.push(e); onEvent?.(e, events); });
  const outcome = await handle.outcome;
  return { handle, outcome, events };
}

function finished(outcome: RunnerOutcome): RunFinishedMessage {
  if (outcome.kind !== "finished") throw new Error(`expected finished, got ${JSON.stringify(outcome)}`);
  return outcome.result;
}

describe("runner contract (test double)", () => {
  test("ready reports the double", () => {
    expect(pool.ready?.pyoco.impl).toBe(process.env.PYOCO_RUNNER_REAL === "1" ? "real" : "double");
    expect(pool.ready?.protocol).toBe(1);
    expect(pool.ready?.capabilities).toContain("workflow");
  });

  test("a resolver flow completes with params and auto-wired upstream results", async () => {
    const start = refStart("add", { x: 41 });
    const { outcome, events } = await runToEnd(start);
    const r = finished(outcome);
    expect(r.status).toBe("COMPLETED");
    expect(r.error).toBeNull();
    expect(r.tasks).toEqual({ add_one: "SUCCEEDED", to_text: "SUCCEEDED" });
    const recs = r.task_records as Record<string, { output: unknown; inputs: unknown }>;
    expect(recs.add_one!.output).toBe(42);
    expect(recs.to_text!.output).toBe("v=42");
    expect(recs.to_text!.inputs).toEqual({ add_one: 42 });
    expect(r.params).toEqual({ x: 41 });
    expect(events[0]).toMatchObject({ type: "run_started", run_id: start.run_id, flow_name: "add", params: { x: 41 } });
    expect(events.filter((e) => e.type === "task_finished").map((e) => e.type === "task_finished" && e.task))
      .toEqual(["add_one", "to_text"]);
  });

  test("a YAML workflow spec runs add_one >> to_text with defaults", async () => {
    const spec = {
      version: 1,
      flow: { graph: "add_one >> to_text\n", defaults: { x: 1 } },
      tasks: { add_one: { callable: "demo_tasks:add_one" }, to_text: { callable: "demo_tasks:to_text", inputs: {}, outputs: [] } },
    };
    const r = finished((await runToEnd(workflowStart(spec))).outcome);
    expect(r.status).toBe("COMPLETED");
    expect((r.task_records.to_text as { output: unknown }).output).toBe("v=2");
    expect(r.params).toEqual({ x: 1 });
  });

  test("task code may reconfigure sys.stdout/sys.stderr at import (the runner's stream wrappers pass it through)", async () => {
    const spec = { version: 1, flow: { graph: "report", defaults: {} }, tasks: { report: { callable: "stream_tweaks:report" } } };
    const { outcome, events } = await runToEnd(workflowStart(spec));
    const r = finished(outcome);
    expect(r.status).toBe("COMPLETED");
    expect((r.task_records.report as { output: unknown }).output).toBe("utf-8");
    expect(events.some((e) => e.type === "log" && e.stream === "stdout" && e.text.includes("stdout encoding utf-8"))).toBe(true);
  });

  test("params override workflow defaults key by key", async () => {
    const spec = {
      version: 1,
      flow: { graph: "add_one >> scale", defaults: { x: 1, factor: 10 } },
      tasks: { add_one: { callable: "demo_tasks:add_one" }, scale: { callable: "demo_tasks:scale" } },
    };
    const { outcome, events } = await runToEnd(workflowStart(spec, { factor: 3 }));
    const r = finished(outcome);
    expect(r.params).toEqual({ x: 1, factor: 3 });
    expect((r.task_records.scale as { output: unknown }).output).toBe(6);
    expect(events[0]).toMatchObject({ type: "run_started", params: { x: 1, factor: 3 } });
  });

  test("a TaskWrapper callable is unwrapped; inputs resolve $ctx.params", async () => {
    const spec = {
      version: 1,
      flow: { graph: "hello >> bump", defaults: {} },
      tasks: { hello: { callable: "demo_tasks:hello" }, bump: { callable: "demo_tasks:add_one", inputs: { x: "$ctx.params.n" } } },
    };
    const r = finished((await runToEnd(workflowStart(spec, { n: 5 }))).outcome);
    expect(r.tasks).toEqual({ hello: "SUCCEEDED", bump: "SUCCEEDED" });
    expect((r.task_records.bump as { output: unknown }).output).toBe(6);
  });

  test("an unknown flow name is flow_not_found without run_started", async () => {
    const { outcome, events } = await runToEnd(refStart("no_such_flow"));
    const r = finished(outcome);
    expect(r.status).toBe("FAILED");
    expect(r.error).toMatchObject({ code: "flow_not_found", phase: "resolve", message: "flow_not_found: 'no_such_flow'" });
    expect(events).toEqual([]);
  });

  const resolveErrors: Array<[string, Record<string, unknown>, string]> = [
    ["a module that does not exist", { graph: "a", tasks: { a: { callable: "no_such_mod:a" } } }, "callable_import_error"],
    ["a missing function", { graph: "a", tasks: { a: { callable: "demo_tasks:nope" } } }, "callable_not_found"],
    ["a callable without a colon", { graph: "a", tasks: { a: { callable: "demo_tasks.add_one" } } }, "invalid_callable_ref"],
    ["an undeclared name in the graph", { graph: "a >> c", tasks: { a: { callable: "demo_tasks:add_one" } } }, "graph_invalid"],
    ["a graph syntax error", { graph: "a >>", tasks: { a: { callable: "demo_tasks:add_one" } } }, "graph_invalid"],
    ["a parallel group on the right of >>", { graph: "a >> (b & c)", tasks: {
      a: { callable: "demo_tasks:add_one" }, b: { callable: "demo_tasks:add_one" }, c: { callable: "demo_tasks:add_one" } } }, "graph_invalid"],
    ["builtins in the graph", { graph: "__import__('os')", tasks: {} }, "graph_invalid"],
  ];
  for (const [name, cfg, code] of resolveErrors) {
    test(`${name} is ${code}`, async () => {
      const spec = { version: 1, flow: { graph: cfg.graph as string, defaults: {} }, tasks: cfg.tasks as never };
      const r = finished((await runToEnd(workflowStart(spec))).outcome);
      expect(r.status).toBe("FAILED");
      expect(r.error).toMatchObject({ code, phase: "resolve" });
    });
  }

  test("callable_import_error keeps the ModuleNotFoundError text", async () => {
    const spec = { version: 1, flow: { graph: "a", defaults: {} }, tasks: { a: { callable: "no_such_mod:a" } } };
    const r = finished((await runToEnd(workflowStart(spec))).outcome);
    expect(r.error?.type).toBe("ModuleNotFoundError");
    expect(r.error?.message).toContain("No module named 'no_such_mod'");
  });

  test("a spec without a graph is flow_not_found", async () => {
    const spec = { version: 1, flow: { graph: "", defaults: {} }, tasks: {} };
    const r = finished((await runToEnd(workflowStart(spec))).outcome);
    expect(r.error?.code).toBe("flow_not_found");
  });

  test("a task exception is task_failed with type, message and traceback", async () => {
    const { outcome, events } = await runToEnd(refStart("boom"));
    const r = finished(outcome);
    expect(r.status).toBe("FAILED");
    expect(r.error).toMatchObject({ code: "task_failed", phase: "execute", type: "ValueError", message: "boom" });
    expect(r.error?.traceback).toContain("ValueError: boom");
    expect(r.tasks).toEqual({ boom: "FAILED" });
    const tf = events.find((e) => e.type === "task_finished");
    expect(tf).toMatchObject({ type: "task_finished", task: "boom", state: "FAILED", error: { type: "ValueError", message: "boom" } });
  });

  test("print, stderr and a child process do not corrupt the protocol", async () => {
    const { outcome, events } = await runToEnd(refStart("noisy"));
    const r = finished(outcome);
    expect(r.status).toBe("COMPLETED");
    expect((r.task_records.noisy as { output: unknown }).output).toBe("quiet");
    const logs = events.filter((e) => e.type === "log");
    expect(logs.some((e) => e.type === "log" && e.stream === "stdout" && e.text.includes("noisy-print"))).toBe(true);
    expect(logs.some((e) => e.type === "log" && e.stream === "stderr" && e.text.includes("noisy-stderr"))).toBe(true);
    // the runner still works afterwards
    expect(finished((await runToEnd(refStart("hello"))).outcome).status).toBe("COMPLETED");
  });

  test("NaN, Infinity and objects in outputs arrive as strict JSON", async () => {
    const r = finished((await runToEnd(refStart("nan"))).outcome);
    const out = (r.task_records.nan_value as { output: Record<string, unknown> }).output;
    expect(out.nan).toBe("NaN");
    expect(out.inf).toBe("Infinity");
    expect(String(out.obj)).toContain("object");
  });

  test("an oversized output is truncated, the line stays under 1 MiB", async () => {
    const r = finished((await runToEnd(refStart("big", { size: 3_000_000 }))).outcome);
    expect(r.status).toBe("COMPLETED");
    const rec = r.task_records.big_output as { output: string; output_truncated?: boolean };
    expect(rec.output_truncated).toBe(true);
    expect(rec.output.length).toBeLessThan(300_000);
  });

  test("a cooperative task ends CANCELLED quickly after cancel", async () => {
    let cancelledAt = 0;
    const start = refStart("slow_coop", { seconds: 20 });
    const events: RunEvent[] = [];
    const handle = await pool.run(start, (e) => {
      events.push(e);
      if (e.type === "task_started" && e.task === "coop_wait") { cancelledAt = performance.now(); handle.cancel("test"); }
    });
    const r = finished(await handle.outcome);
    expect(performance.now() - cancelledAt).toBeLessThan(1_000);
    expect(r.status).toBe("CANCELLED");
    expect(r.tasks.after).toBe("CANCELLED");
    expect(events.some((e) => e.type === "cancel_ack" && e.state === "CANCELLING")).toBe(true);
  });

  test("a cancel during the only task ends CANCELLED, not CANCELLING", async () => {
    const start = refStart("single_slow", { seconds: 20 });
    const handle = await pool.run(start, (e) => {
      if (e.type === "task_started") handle.cancel();
    });
    const r = finished(await handle.outcome);
    expect(r.status).toBe("CANCELLED");
    expect(r.error).toBeNull();
  });

  test("a cancel before the engine registered the run still cancels it", async () => {
    const start = refStart("single_slow", { seconds: 20 });
    const handle = await pool.run(start, () => {});
    handle.cancel(); // sent right behind start: usually arrives before Engine.run registers the run
    const r = finished(await handle.outcome);
    expect(r.status).toBe("CANCELLED");
  });

  test("twenty runs in a row reuse one runner", async () => {
    const pids = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const { handle, outcome } = await runToEnd(refStart("add", { x: i }));
      pids.add(handle.pid);
      expect((finished(outcome).task_records.to_text as { output: unknown }).output).toBe(`v=${i + 1}`);
    }
    expect(pids.size).toBe(1);
    await waitFor(() => pool.stats().busy === 0, { what: "pool idle" });
  });
});

describe("runner with a module allow-list (--allow-module demo_tasks)", () => {
  const spec = (graph: string, callable = "demo_tasks:add_one") => ({
    version: 1,
    flow: { graph, defaults: { x: 1 } },
    tasks: { add_one: { callable }, to_text: { callable: "demo_tasks:to_text" }, hello: { callable: "demo_tasks:hello" } },
  });
  let strict: RunnerPool;
  const strictWork = makeWorkDir("contract-allow");
  beforeAll(async () => {
    strict = new RunnerPool(await poolOptions(strictWork.dir, { allowedModules: ["demo_tasks"] }));
    await strict.start();
  });
  afterAll(async () => {
    await strict.close({ graceMs: 500 });
    strictWork.cleanup();
  });
  const run = async (s: ReturnType<typeof spec>) => finished(await (await strict.run(workflowStart(s), () => {})).outcome);

  test("every form of the graph DSL (pyoco-runner.md §2.3) passes the graph check", async () => {
    const forms = [
      "add_one >> to_text", "(add_one & hello) >> to_text", "(add_one | hello) >> to_text", "add_one >> to_text\nhello >> to_text",
      "flow >> add_one >> to_text", "flow >> add_one >> switch('$ctx.params.mode')['x' >> to_text, '*' >> hello]",
      "flow >> add_one[2] >> to_text", "flow >> add_one % 'x' >> to_text", "add_one() >> to_text",
    ];
    for (const graph of forms) expect([graph, (await run(spec(graph))).error?.code]).not.toEqual([graph, "graph_not_allowed"]);
    expect((await run(spec("add_one >> to_text"))).status).toBe("COMPLETED");
  });

  test("attribute access, comprehensions, lambdas, assignments and dunder names are refused", async () => {
    const escapes = [
      "add_one.task", "().__class__", "[c for c in (add_one,)]", "(lambda: 0)()", "x = add_one", "__import__('os')",
      "(add_one for _ in ()).gi_frame", "to_text(*[add_one])", "add_one >> to_text if 1 else hello", "add_one[1.5]",
    ];
    for (const graph of escapes) {
      const r = await run(spec(graph));
      expect([graph, r.status, r.error?.code, r.error?.phase]).toEqual([graph, "FAILED", "graph_not_allowed", "resolve"]);
    }
  });

  test("a callable outside the allow-list is callable_not_allowed and is not imported", async () => {
    const r = await run(spec("add_one", "json:dumps"));
    expect(r.error).toMatchObject({ code: "callable_not_allowed", phase: "resolve" });
    expect(r.error?.message).toContain("module 'json' is not in the worker's allow-list ['demo_tasks']");
  });
});
