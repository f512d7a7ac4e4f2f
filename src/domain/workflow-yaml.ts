/**
 * Single-flow `flow.yaml` policy (wire-contract.md §9): the same checks, order and reason strings
 * as the original's `parse_workflow_yaml_bytes(require_flow=True)`. Parsed with YAML 1.1 rules to
 * match PyYAML. Used by the gateway (422 on violation) and by the worker (spec sent to the runner).
 */
import { isMap, isPair, isScalar, isSeq, type Document, type Node } from "yaml";
import { undefinedGraphNames } from "./graph-names.ts";
import { parsePyYamlDocument } from "./pyyaml.ts";
import { parseWireText, stringifyKeepingNonFinite } from "./json.ts";

/** Workflow spec sent to the runner for YAML jobs: the validated YAML as JSON (pyoco-runner.md §5.3). */
export interface WorkflowSpec {
  version: number;
  flow: { graph: string; defaults: Record<string, unknown> };
  tasks: Record<string, { callable?: string; inputs?: Record<string, unknown>; outputs?: string[] }>;
  runtime?: { expose_env?: string[] };
}

/**
 * Why a flow.yaml was refused, for people: where (key path, 1-based line and column when known)
 * and what was expected. `code` is the reason's code (the part before `:` of `reason`).
 */
export interface WorkflowProblem {
  code: string;
  message: string;
  path: (string | number)[];
  line?: number;
  column?: number;
  expected?: string;
}

export type WorkflowYamlResult =
  | { ok: true; spec: WorkflowSpec; sha256: string; sizeBytes: number; defaults: Record<string, unknown> }
  /** `reason` is the original's string (logged, stored); `problems` says where and what was expected. */
  | { ok: false; reason: string; problems: WorkflowProblem[] };

export interface WorkflowYamlOptions {
  /** Refuse a graph that names a task the file does not define (the runner would fail with NameError). */
  checkGraphNames?: boolean;
}

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

/** JSON-safe copy: YAML 1.1 dates become ISO strings (as they would through JSON); `.nan`/`.inf` stay floats. */
function jsonSafe(v: unknown): unknown {
  return parseWireText(stringifyKeepingNonFinite(v ?? null));
}

/** Finds positions of key paths in the parsed document. */
class Locator {
  readonly #starts: number[] = [0];
  constructor(readonly text: string, readonly doc: Document.Parsed | null) {
    for (let i = 0; i < text.length; i++) if (text[i] === "\n") this.#starts.push(i + 1);
  }

  /** 1-based line and column of a character offset. */
  at(offset: number): { line: number; column: number } {
    let lo = 0, hi = this.#starts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (this.#starts[mid]! <= offset) lo = mid; else hi = mid - 1; }
    return { line: lo + 1, column: offset - this.#starts[lo]! + 1 };
  }

  /** The node at `path` (the key node when `key`), or the deepest ancestor found. */
  node(path: (string | number)[], key = false): Node | null {
    let node: unknown = this.doc?.contents ?? null;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isMap(node)) {
        const pair = [...node.items].reverse().find((p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
        if (!pair) return node as Node;
        const last = i === path.length - 1;
        node = key && last ? pair.key : (pair.value ?? pair.key);
      } else if (isSeq(node) && typeof seg === "number" && node.items[seg]) {
        node = node.items[seg];
      } else return (node as Node) ?? null;
    }
    return (node as Node) ?? null;
  }

  problem(code: string, path: (string | number)[], message: string, expected?: string, opts: { key?: boolean; offsetInNode?: number } = {}): WorkflowProblem {
    const node = this.node(path, opts.key);
    const range = node?.range;
    const pos = range ? this.at(range[0] + (opts.offsetInNode ?? 0)) : undefined;
    return { code, message, path, ...(pos ?? {}), ...(expected ? { expected } : {}) };
  }
}

const TOP_EXPECTED = "one of the keys version, flow, tasks, runtime";

export function parseWorkflowYaml(bytes: Uint8Array, opts: WorkflowYamlOptions = {}): WorkflowYamlResult {
  let loc = new Locator("", null);
  const fail = (reason: string, ...problems: WorkflowProblem[]): WorkflowYamlResult => ({ ok: false, reason, problems });
  /** One problem per offending key, all under the original's one reason string. */
  const failKeys = (code: string, reason: string, parent: (string | number)[], keys: string[], what: string, expected: string) =>
    fail(reason, ...[...keys].sort().map((k) => loc.problem(code, [...parent, k], `unknown ${what} '${k}'`, expected, { key: true })));
  let text: string;
  try { text = new TextDecoder("utf-8", { fatal: true }).decode(bytes); } catch {
    return fail("invalid_utf8", { code: "invalid_utf8", message: "the file is not UTF-8 text", path: [], expected: "UTF-8 encoded YAML" });
  }
  const doc = parsePyYamlDocument(text);
  loc = new Locator(text, doc);
  if (doc.errors.length) {
    const err = doc.errors[0]!;
    const pos = err.linePos?.[0];
    return fail("invalid_yaml", {
      code: "invalid_yaml", message: `YAML syntax error: ${err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`, path: [],
      ...(pos ? { line: pos.line, column: pos.col } : {}), expected: "valid YAML",
    });
  }
  let root: unknown;
  try { root = doc.toJS(); } catch (err) {
    return fail("invalid_yaml", { code: "invalid_yaml", message: `YAML error: ${(err as Error).message}`, path: [], expected: "valid YAML" });
  }
  if (!isMapping(root)) return fail("invalid_yaml_root", loc.problem("invalid_yaml_root", [], "the document is not a mapping", `a mapping with ${TOP_EXPECTED}`));
  if ("flows" in root) {
    return fail("unsupported_key_flows", loc.problem("unsupported_key_flows", ["flows"], "'flows' (several flows per file) is not supported", "a single 'flow:' mapping", { key: true }));
  }
  if ("discovery" in root) return fail("unsupported_key_discovery", loc.problem("unsupported_key_discovery", ["discovery"], "'discovery' is not supported", TOP_EXPECTED, { key: true }));
  const unknown = Object.keys(root).filter((k) => !TOP_KEYS.includes(k));
  if (unknown.length) return failKeys("unknown_top_level_keys", `unknown_top_level_keys: ${pyList(unknown)}`, [], unknown, "top-level key", TOP_EXPECTED);

  const flow = root.flow;
  const FLOW_EXPECTED = "flow: {graph: 'a >> b', defaults: {...}}";
  if (flow === undefined || flow === null) return fail("missing_flow", loc.problem("missing_flow", ["flow"], "'flow' is missing or empty", FLOW_EXPECTED));
  if (!isMapping(flow)) return fail("invalid_flow", loc.problem("invalid_flow", ["flow"], "'flow' is not a mapping", FLOW_EXPECTED));
  const unknownFlow = Object.keys(flow).filter((k) => k !== "graph" && k !== "defaults");
  if (unknownFlow.length) return failKeys("unknown_flow_keys", `unknown_flow_keys: ${pyList(unknownFlow)}`, ["flow"], unknownFlow, "key in flow", "graph, defaults");
  if (typeof flow.graph !== "string" || flow.graph.trim() === "") {
    return fail("missing_flow_graph", loc.problem("missing_flow_graph", ["flow", "graph"], "'flow.graph' is missing or empty", "a graph of task names, e.g. 'a >> b'"));
  }
  const defaults = flow.defaults ?? {};
  if (!isMapping(defaults)) return fail("invalid_flow_defaults", loc.problem("invalid_flow_defaults", ["flow", "defaults"], "'flow.defaults' is not a mapping", "a mapping of parameter names to values"));

  const tasksIn = root.tasks ?? {};
  if (!isMapping(tasksIn)) return fail("invalid_tasks", loc.problem("invalid_tasks", ["tasks"], "'tasks' is not a mapping", "a mapping of task names to {callable, inputs, outputs}"));
  const tasks: WorkflowSpec["tasks"] = {};
  for (const [name, cfg] of Object.entries(tasksIn)) {
    const at = ["tasks", name];
    if (name.trim() === "") return fail("invalid_task_name", loc.problem("invalid_task_name", at, "a task name is empty", "a non-empty task name", { key: true }));
    if (!isMapping(cfg)) return fail(`invalid_task_config: ${name}`, loc.problem("invalid_task_config", at, `task '${name}' is not a mapping`, "{callable: 'module:function', inputs: {...}, outputs: [...]}"));
    const extra = Object.keys(cfg).filter((k) => !["callable", "inputs", "outputs"].includes(k));
    if (extra.length) return failKeys("unknown_task_keys", `unknown_task_keys: ${name}: ${pyList(extra)}`, at, extra, `key in task '${name}'`, "callable, inputs, outputs");
    if (cfg.callable !== undefined && cfg.callable !== null && (typeof cfg.callable !== "string" || !cfg.callable.includes(":"))) {
      return fail(`invalid_task_callable: ${name}`, loc.problem("invalid_task_callable", [...at, "callable"], `task '${name}': callable is not 'module:function'`, "'module:function', e.g. 'my_tasks:add_one'"));
    }
    const inputs = cfg.inputs ?? {};
    if (!isMapping(inputs)) return fail(`invalid_task_inputs: ${name}`, loc.problem("invalid_task_inputs", [...at, "inputs"], `task '${name}': inputs is not a mapping`, "a mapping of argument names to values"));
    const outputs = cfg.outputs ?? [];
    if (!Array.isArray(outputs) || !outputs.every((o) => typeof o === "string")) {
      return fail(`invalid_task_outputs: ${name}`, loc.problem("invalid_task_outputs", [...at, "outputs"], `task '${name}': outputs is not a list of strings`, "a list of strings"));
    }
    tasks[name] = { ...(typeof cfg.callable === "string" ? { callable: cfg.callable } : {}), inputs: jsonSafe(inputs) as Record<string, unknown>, outputs };
  }

  const runtime = root.runtime ?? {};
  if (!isMapping(runtime)) return fail("invalid_runtime", loc.problem("invalid_runtime", ["runtime"], "'runtime' is not a mapping", "runtime: {expose_env: [...]}"));
  const extraRuntime = Object.keys(runtime).filter((k) => k !== "expose_env");
  if (extraRuntime.length) return failKeys("unknown_runtime_keys", `unknown_runtime_keys: ${pyList(extraRuntime)}`, ["runtime"], extraRuntime, "key in runtime", "expose_env");
  const exposeEnv = runtime.expose_env ?? [];
  if (!Array.isArray(exposeEnv) || !exposeEnv.every((e) => typeof e === "string")) {
    return fail("invalid_runtime_expose_env", loc.problem("invalid_runtime_expose_env", ["runtime", "expose_env"], "'runtime.expose_env' is not a list of strings", "a list of environment variable names"));
  }

  let version = 1;
  if (root.version !== undefined && root.version !== null) {
    const n = typeof root.version === "string" ? Number(root.version.trim()) : root.version;
    if (typeof n !== "number" || !Number.isInteger(n)) return fail("invalid_version", loc.problem("invalid_version", ["version"], "'version' is not an integer", "an integer, e.g. 1"));
    version = n;
  }
  if (opts.checkGraphNames) {
    const missing = undefinedGraphNames(flow.graph, Object.keys(tasks));
    if (missing.length) {
      const graphNode = loc.node(["flow", "graph"]);
      const source = graphNode?.range ? text.slice(graphNode.range[0], graphNode.range[1]) : "";
      return fail(`unknown_graph_names: ${pyList(missing.map((m) => m.name))}`, ...missing.map((m) => {
        const inSource = new RegExp(`(?<![A-Za-z0-9_.])${m.name}(?![A-Za-z0-9_])`).exec(source)?.index;
        return loc.problem("unknown_graph_names", ["flow", "graph"], `the graph uses '${m.name}', which is not a task of this file`,
          `a task defined under 'tasks:' (defined: ${Object.keys(tasks).join(", ") || "none"})`, { offsetInNode: inSource ?? 0 });
      }));
    }
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
