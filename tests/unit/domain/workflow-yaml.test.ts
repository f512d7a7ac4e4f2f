/** The flow.yaml policy: accepted document, every reason string of wire-contract.md §9 we can trigger. */
import { describe, expect, test } from "bun:test";
import { parseWorkflowYaml } from "../../../src/domain/workflow-yaml.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const SAMPLE = "version: 1\nflow:\n  graph: |\n    add_one >> to_text\n  defaults:\n    x: 1\ntasks:\n  add_one:\n    callable: pyoco_server._workflow_test_tasks:add_one\n  to_text:\n    callable: pyoco_server._workflow_test_tasks:to_text\n";

describe("parseWorkflowYaml", () => {
  test("accepts the original's sample with its sha256 and size", () => {
    const r = parseWorkflowYaml(enc(SAMPLE));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.sha256).toBe("c72020fe1ba0c3b03f3f91cb21df3b536098ec9d5685d6250bf70bea87f0c676");
    expect(r.sizeBytes).toBe(213);
    expect(r.defaults).toEqual({ x: 1 });
    expect(r.spec.tasks.add_one).toEqual({ callable: "pyoco_server._workflow_test_tasks:add_one", inputs: {}, outputs: [] });
  });

  test("YAML 1.1 scalars match PyYAML (yes → true, 010 → 8)", () => {
    const r = parseWorkflowYaml(enc("flow:\n  graph: a\n  defaults:\n    flag: yes\n    k: 010\n"));
    expect(r.ok && r.defaults).toEqual({ flag: true, k: 8 });
  });

  const cases: [string, string | Uint8Array, string][] = [
    ["invalid UTF-8", new Uint8Array([0xff, 0x00]), "invalid_utf8"],
    ["broken YAML", "flow: [unclosed", "invalid_yaml"],
    ["a list root", "- a\n- b\n", "invalid_yaml_root"],
    ["a null root", "", "invalid_yaml_root"],
    ["flows", "flows: {}\nflow: {graph: a}\n", "unsupported_key_flows"],
    ["discovery", "discovery: {}\n", "unsupported_key_discovery"],
    ["unknown keys", "flow: {graph: a}\nzeta: 1\nalpha: 2\n", "unknown_top_level_keys: ['alpha', 'zeta']"],
    ["missing flow", "version: 1\n", "missing_flow"],
    ["flow not a mapping", "flow: 3\n", "invalid_flow"],
    ["unknown flow keys", "flow: {graph: a, x: 1}\n", "unknown_flow_keys: ['x']"],
    ["empty graph", "flow: {graph: '  '}\n", "missing_flow_graph"],
    ["defaults a list", "flow: {graph: a, defaults: [1]}\n", "invalid_flow_defaults"],
    ["tasks a list", "flow: {graph: a}\ntasks: [1]\n", "invalid_tasks"],
    ["task not a mapping", "flow: {graph: a}\ntasks: {a: 1}\n", "invalid_task_config: a"],
    ["unknown task keys", "flow: {graph: a}\ntasks: {a: {callable: 'm:f', zz: 1}}\n", "unknown_task_keys: a: ['zz']"],
    ["callable without colon", "flow: {graph: a}\ntasks: {a: {callable: mod}}\n", "invalid_task_callable: a"],
    ["inputs a list", "flow: {graph: a}\ntasks: {a: {inputs: [1]}}\n", "invalid_task_inputs: a"],
    ["outputs not strings", "flow: {graph: a}\ntasks: {a: {outputs: [1]}}\n", "invalid_task_outputs: a"],
    ["runtime a list", "flow: {graph: a}\nruntime: [1]\n", "invalid_runtime"],
    ["unknown runtime keys", "flow: {graph: a}\nruntime: {x: 1}\n", "unknown_runtime_keys: ['x']"],
    ["expose_env not strings", "flow: {graph: a}\nruntime: {expose_env: [1]}\n", "invalid_runtime_expose_env"],
    ["version not an int", "version: abc\nflow: {graph: a}\n", "invalid_version"],
  ];
  for (const [name, input, reason] of cases) {
    test(`${name} → ${reason}`, () => {
      expect(parseWorkflowYaml(typeof input === "string" ? enc(input) : input)).toEqual({ ok: false, reason });
    });
  }
});

test("y and n stay strings as in PyYAML (the yaml package would read them as booleans)", () => {
  const r = parseWorkflowYaml(new TextEncoder().encode("flow:\n  graph: a\n  defaults:\n    x: 1\n    y: 2\n    n: n\n    ok: On\n"));
  expect(r.ok && r.defaults).toEqual({ x: 1, y: 2, n: "n", ok: true });
});
