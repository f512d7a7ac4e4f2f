/**
 * flow.yaml is code: the worker's module allow-list (`--allow-module`, PYOCO_WORKER_ALLOWED_MODULES)
 * with a real worker subprocess and real Python. A callable or graph outside it ends the run FAILED
 * with DLQ reason invalid_workflow and an error naming the allow-list; allowed flows still run; a
 * worker without an allow-list warns at start.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "bun:test";
import { startWorker } from "../../helpers/worker.ts";
import { dlqRecords, submitRun, waitForRun, workerBedForFile } from "./support.ts";

const TAG = "allow";
// The demo resolver is file-form (an operator-chosen file), so it needs no entry.
const bed = workerBedForFile({ tags: [TAG], workerId: "allow-worker", args: ["--allow-module", "demo_tasks"] });
const scratch = mkdtempSync(join(tmpdir(), "pyoco-allow-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const yaml = (graph: string, tasks: Record<string, string>, inputs: Record<string, Record<string, string>> = {}) => [
  "version: 1", "flow:", "  graph: |", ...graph.split("\n").map((l) => `    ${l}`), "  defaults:", "    x: 1", "tasks:",
  ...Object.entries(tasks).flatMap(([name, callable]) => [
    `  ${name}:`, `    callable: ${callable}`,
    ...(inputs[name] ? ["    inputs:", ...Object.entries(inputs[name]!).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)] : []),
  ]),
].join("\n") + "\n";

async function expectRejected(id: string, code: string, mention: string) {
  const snap = await waitForRun(bed.js, id);
  expect(snap.status).toBe("FAILED");
  expect(snap.error).toContain(mention);
  const [dlq] = await dlqRecords(bed.js, (r) => r.run_id === id);
  expect(dlq!.record.reason).toBe("invalid_workflow");
  expect(String(dlq!.record.error)).toContain(code === "callable_not_allowed" ? "allow-list" : "graph_not_allowed");
}

describe("module allow-list", () => {
  test("the worker logs its allow-list at start instead of the no-allow-list warning", () => {
    expect(bed.worker.logs().some((l) => l.message === "module allow-list active")).toBe(true);
    expect(bed.worker.logs().some((l) => l.err_id === "ERR-PYOCO-0050")).toBe(false);
  });

  test("callable: os:system is refused before import; the command never runs", async () => {
    const marker = join(scratch, "pwned");
    const id = await submitRun(bed.js, "evil", { tag: TAG, yaml: yaml("system", { system: "os:system" }, { system: { command: `touch ${marker}` } }) });
    await expectRejected(id, "callable_not_allowed", "module 'os' is not in the worker's allow-list");
    expect(existsSync(marker)).toBe(false);
  });

  test("a module that only shares the prefix's first letters is refused (demo_tasks_x is not demo_tasks)", async () => {
    const id = await submitRun(bed.js, "near", { tag: TAG, yaml: yaml("add_one", { add_one: "demo_tasks_x:add_one" }) });
    await expectRejected(id, "callable_not_allowed", "demo_tasks_x");
  });

  test("a graph that reaches for Python through attributes is refused", async () => {
    const graph = "add_one >> to_text\n().__class__.__base__.__subclasses__()";
    const id = await submitRun(bed.js, "escape", { tag: TAG, yaml: yaml(graph, { add_one: "demo_tasks:add_one", to_text: "demo_tasks:to_text" }) });
    await expectRejected(id, "graph_not_allowed", "is not part of the graph DSL");
  });

  test("allowed callables with the graph DSL still run", async () => {
    const id = await submitRun(bed.js, "ok", { tag: TAG, yaml: yaml("add_one >> to_text", { add_one: "demo_tasks:add_one", to_text: "demo_tasks:to_text" }), params: { x: 41 } });
    const snap = await waitForRun(bed.js, id);
    expect(snap.status).toBe("COMPLETED");
    expect((snap.task_records as any).to_text.output).toBe("v=42");
  });
});

describe("worker start", () => {
  test("PYOCO_WORKER_ALLOWED_MODULES works like the flag; without any allow-list the worker warns (ERR-PYOCO-0050)", async () => {
    const viaEnv = await startWorker({ natsUrl: bed.nats.url, tags: ["allow-env"], workerId: "allow-env", env: { PYOCO_WORKER_ALLOWED_MODULES: "demo_tasks, company.flows" } });
    const open = await startWorker({ natsUrl: bed.nats.url, tags: ["allow-none"], workerId: "allow-none" });
    try {
      expect(viaEnv.logs().find((l) => l.message === "module allow-list active")?.allowed_modules).toEqual(["demo_tasks", "company.flows"]);
      const warning = open.logs().find((l) => l.err_id === "ERR-PYOCO-0050");
      expect(warning?.level).toBe("WARNING");
      expect(String(warning?.message)).toContain("any flow.yaml submitter can run any Python code");
      const id = await submitRun(bed.js, "evil", { tag: "allow-env", yaml: yaml("system", { system: "os:getpid" }) });
      await expectRejected(id, "callable_not_allowed", "module 'os'");
    } finally {
      await Promise.all([viaEnv.stop(), open.stop()]);
    }
  });

  test("a module-form resolver outside the allow-list stops start-up with a hint; a bad prefix is a usage error", async () => {
    const w = await startWorker({ natsUrl: bed.nats.url, tags: ["allow-res"], workerId: "allow-res", resolver: "demo_tasks:resolve_flow", args: ["--allow-module", "company"], waitReady: false });
    expect(await w.exited).toBe(1);
    expect(w.stderr()).toContain("resolver_not_allowed");
    expect(w.stderr()).toContain("--allow-module");
    const bad = await startWorker({ natsUrl: bed.nats.url, tags: ["allow-bad"], workerId: "allow-bad", args: ["--allow-module", "os;rm -rf"], waitReady: false });
    expect(await bad.exited).toBe(1);
    expect(bad.stderr()).toContain("argument --allow-module");
  });
});
