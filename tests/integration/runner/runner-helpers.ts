// Shared set-up for the runner integration tests: interpreter, double on PYTHONPATH, temp dirs,
// start messages, and process checks through Linux procfs.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { resolvePython } from "../../../src/runner/python.ts";
import type { RunnerPoolOptions, StartMessage, WorkflowSpec } from "../../../src/runner/types.ts";

export const FIXTURES = resolve(import.meta.dir, "../../fixtures/python");
export const DOUBLE_DIR = join(FIXTURES, "pyoco_double");
export const TASKS_DIR = join(FIXTURES, "tasks");
export const RESOLVER = "demo_tasks:resolve_flow";

/** Debian's interpreter starts in ~11 ms; the PATH python3 may be a slow pyenv shim. */
export async function testPython(): Promise<string> {
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : resolvePython();
}

export function pythonEnv(): Record<string, string> {
  // PYOCO_RUNNER_REAL=1 runs the same tests against an installed real Pyoco (pyoco-runner.md §7.3).
  const real = process.env.PYOCO_RUNNER_REAL === "1";
  return { PYTHONPATH: real ? TASKS_DIR : `${DOUBLE_DIR}:${TASKS_DIR}` };
}

export function makeWorkDir(label: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `pyoco-runner-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function poolOptions(workDir: string, over: Partial<RunnerPoolOptions> = {}): Promise<RunnerPoolOptions> {
  return {
    python: await testPython(), resolver: RESOLVER, maxRunsPerProcess: 100, concurrency: 1,
    env: pythonEnv(), workDir, killGraceMs: 1_000, ...over,
  };
}

let seq = 0;
export function refStart(flowName: string, params: Record<string, unknown> = {}): StartMessage {
  return {
    v: 1, type: "start", run_id: `run-${process.pid}-${++seq}`, flow_name: flowName,
    flow: { kind: "ref" }, params, metadata: {},
  };
}

export function workflowStart(spec: WorkflowSpec, params: Record<string, unknown> = {}, flowName = "main"): StartMessage {
  return { ...refStart(flowName, params), flow: { kind: "workflow", spec } };
}

import { isAlive } from "../../helpers/processes.ts";
export { isAlive };

/** pids of live processes whose command line mentions `needle` (e.g. a test's workDir). */
export function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmd.includes(needle) && isAlive(Number(entry))) out.push(Number(entry));
    } catch { /* exited meanwhile */ }
  }
  return out;
}
