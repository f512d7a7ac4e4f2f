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
      const r = parseWorkflowYaml(typeof input === "string" ? enc(input) : input);
      expect(r).toMatchObject({ ok: false, reason });
      // Every refusal explains itself: a code matching the reason, a message, and what was expected.
      expect(!r.ok && r.problems.length).toBeGreaterThan(0);
      for (const p of !r.ok ? r.problems : []) {
        expect(reason.startsWith(p.code)).toBe(true);
        expect(p.message.length).toBeGreaterThan(0);
        expect(p.expected?.length).toBeGreaterThan(0);
      }
    });
  }
});

test("y and n stay strings as in PyYAML (the yaml package would read them as booleans)", () => {
  const r = parseWorkflowYaml(new TextEncoder().encode("flow:\n  graph: a\n  defaults:\n    x: 1\n    y: 2\n    n: n\n    ok: On\n"));
  expect(r.ok && r.defaults).toEqual({ x: 1, y: 2, n: "n", ok: true });
});

describe("problems say where and what was expected", () => {
  const problems = (text: string, opts = {}) => { const r = parseWorkflowYaml(enc(text), opts); return r.ok ? [] : r.problems; };

  test("an unknown top-level key: its key path, line and column, and the allowed keys", () => {
    expect(problems("version: 1\nflow:\n  graph: a\nextra_top: 1\n")).toEqual([{
      code: "unknown_top_level_keys", message: "unknown top-level key 'extra_top'", path: ["extra_top"], line: 4, column: 1,
      expected: "one of the keys version, flow, tasks, runtime",
    }]);
  });
  test("each unknown key gets its own entry", () => {
    expect(problems("flow: {graph: a}\nzeta: 1\nalpha: 2\n").map((p) => [p.path, p.line])).toEqual([[["alpha"], 3], [["zeta"], 2]]);
  });
  test("a syntax error has the parser's line and column", () => {
    const [p] = problems("flow:\n  graph: a\n  defaults: {x: [1, 2}\n");
    expect(p).toMatchObject({ code: "invalid_yaml", line: 3 });
    expect(p!.column).toBeGreaterThan(0);
    expect(p!.message).toStartWith("YAML syntax error: ");
  });
  test("a nested value points at the value", () => {
    expect(problems("flow:\n  graph: a\ntasks:\n  a:\n    callable: nocolon\n")).toEqual([{
      code: "invalid_task_callable", message: "task 'a': callable is not 'module:function'", path: ["tasks", "a", "callable"],
      line: 5, column: 15, expected: "'module:function', e.g. 'my_tasks:add_one'",
    }]);
  });
});

describe("graph names (checked when asked: the gateway at submit)", () => {
  const check = (graph: string, tasks: string[]) => {
    const yaml = `flow:\n  graph: |\n${graph.split("\n").map((l) => `    ${l}`).join("\n")}\ntasks:\n${tasks.map((t) => `  ${t}: {callable: 'm:${t}'}`).join("\n")}\n`;
    return parseWorkflowYaml(enc(yaml), { checkGraphNames: true });
  };
  test("a name that is not a task is refused, with its line and column", () => {
    const r = check("a >> b\nb >> cc", ["a", "b"]);
    expect(r).toMatchObject({ ok: false, reason: "unknown_graph_names: ['cc']" });
    expect(!r.ok && r.problems[0]).toMatchObject({ path: ["flow", "graph"], line: 4, column: 10 });
  });
  test("every DSL form of pyoco-runner.md §2.3 with defined names passes", () => {
    for (const g of ["a >> b >> c", "(a & b) >> c", "(a | b) >> c", "a >> b\na >> c\n(b & c) >> d", "flow >> a >> b",
      "flow >> a >> switch('$ctx.params.mode')['x' >> b, '*' >> c]", "flow >> a[2] >> b", "x = a >> b  # a comment naming zz\nx >> c"]) {
      expect([g, check(g, ["a", "b", "c", "d"]).ok]).toEqual([g, true]);
    }
  });
  test("graphs it cannot follow are left to the runner", () => {
    expect(check("[t for t in (a, b)]", ["a", "b"]).ok).toBe(true);
  });
  test("without the option the graph is not checked (the worker keeps the runner's own error)", () => {
    expect(parseWorkflowYaml(enc("flow: {graph: a >> c}\ntasks: {a: {callable: 'm:a'}}\n")).ok).toBe(true);
  });
});
