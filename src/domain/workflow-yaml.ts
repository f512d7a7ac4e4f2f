/**
 * Single-flow `flow.yaml` policy (wire-contract.md §9): the same checks, order and reason strings
 * as the original's `parse_workflow_yaml_bytes(require_flow=True)`. Parsed with YAML 1.1 rules to
 * match PyYAML. Used by the gateway (422 on violation) and by the worker (spec sent to the runner).
 */
import { parsePyYaml } from "./pyyaml.ts";

/** Workflow spec sent to the runner for YAML jobs: the validated YAML as JSON (pyoco-runner.md §5.3). */
export interface WorkflowSpec {
  version: number;
  flow: { graph: string; defaults: Record<string, unknown> };
  tasks: Record<string, { callable?: string; inputs?: Record<string, unknown>; outputs?: string[] }>;
  runtime?: { expose_env?: string[] };
}

export type WorkflowYamlResult =
  | { ok: true; spec: WorkflowSpec; sha256: string; sizeBytes: number; defaults: Record<string, unknown> }
  | { ok: false; reason: string };

const TOP_KEYS = ["version", "flow", "tasks", "runtime"];

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Python repr of a sorted list of strings: ['a', 'b']. */
function pyList(items: string[]): string {
  return "[" + [...items].sort().map((s) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`).join(", ") + "]";
}

export function sha256Hex(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

/** JSON-safe copy: YAML 1.1 dates become ISO strings (as they would through JSON). */
function jsonSafe(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null));
}

export function parseWorkflowYaml(bytes: Uint8Array): WorkflowYamlResult {
  const fail = (reason: string): WorkflowYamlResult => ({ ok: false, reason });
  let text: string;
  try { text = new TextDecoder("utf-8", { fatal: true }).decode(bytes); } catch { return fail("invalid_utf8"); }
  let root: unknown;
  try { root = parsePyYaml(text); } catch { return fail("invalid_yaml"); }
  if (!isMapping(root)) return fail("invalid_yaml_root");
  if ("flows" in root) return fail("unsupported_key_flows");
  if ("discovery" in root) return fail("unsupported_key_discovery");
  const unknown = Object.keys(root).filter((k) => !TOP_KEYS.includes(k));
  if (unknown.length) return fail(`unknown_top_level_keys: ${pyList(unknown)}`);

  const flow = root.flow;
  if (flow === undefined || flow === null) return fail("missing_flow");
  if (!isMapping(flow)) return fail("invalid_flow");
  const unknownFlow = Object.keys(flow).filter((k) => k !== "graph" && k !== "defaults");
  if (unknownFlow.length) return fail(`unknown_flow_keys: ${pyList(unknownFlow)}`);
  if (typeof flow.graph !== "string" || flow.graph.trim() === "") return fail("missing_flow_graph");
  const defaults = flow.defaults ?? {};
  if (!isMapping(defaults)) return fail("invalid_flow_defaults");

  const tasksIn = root.tasks ?? {};
  if (!isMapping(tasksIn)) return fail("invalid_tasks");
  const tasks: WorkflowSpec["tasks"] = {};
  for (const [name, cfg] of Object.entries(tasksIn)) {
    if (name.trim() === "") return fail("invalid_task_name");
    if (!isMapping(cfg)) return fail(`invalid_task_config: ${name}`);
    const extra = Object.keys(cfg).filter((k) => !["callable", "inputs", "outputs"].includes(k));
    if (extra.length) return fail(`unknown_task_keys: ${name}: ${pyList(extra)}`);
    if (cfg.callable !== undefined && cfg.callable !== null && (typeof cfg.callable !== "string" || !cfg.callable.includes(":"))) {
      return fail(`invalid_task_callable: ${name}`);
    }
    const inputs = cfg.inputs ?? {};
    if (!isMapping(inputs)) return fail(`invalid_task_inputs: ${name}`);
    const outputs = cfg.outputs ?? [];
    if (!Array.isArray(outputs) || !outputs.every((o) => typeof o === "string")) return fail(`invalid_task_outputs: ${name}`);
    tasks[name] = { ...(typeof cfg.callable === "string" ? { callable: cfg.callable } : {}), inputs: jsonSafe(inputs) as Record<string, unknown>, outputs };
  }

  const runtime = root.runtime ?? {};
  if (!isMapping(runtime)) return fail("invalid_runtime");
  const extraRuntime = Object.keys(runtime).filter((k) => k !== "expose_env");
  if (extraRuntime.length) return fail(`unknown_runtime_keys: ${pyList(extraRuntime)}`);
  const exposeEnv = runtime.expose_env ?? [];
  if (!Array.isArray(exposeEnv) || !exposeEnv.every((e) => typeof e === "string")) return fail("invalid_runtime_expose_env");

  let version = 1;
  if (root.version !== undefined && root.version !== null) {
    const n = typeof root.version === "string" ? Number(root.version.trim()) : root.version;
    if (typeof n !== "number" || !Number.isInteger(n)) return fail("invalid_version");
    version = n;
  }
  const safeDefaults = jsonSafe(defaults) as Record<string, unknown>;
  return {
    ok: true,
    spec: { version, flow: { graph: flow.graph, defaults: safeDefaults }, tasks, runtime: { expose_env: exposeEnv } },
    sha256: sha256Hex(bytes),
    sizeBytes: bytes.byteLength,
    defaults: safeDefaults,
  };
}
