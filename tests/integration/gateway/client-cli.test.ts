/**
 * `pyoco client …` in-process (`run(argv, io)` with captured output) against a real gateway:
 * submit params and their precedence, submit-yaml, get/tasks, tables, list-vnext paging, cancel
 * (with --wait), and the ERR-PYOCO blocks with exit code 1 for HTTP and connection errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../../src/cli/index.ts";
import { captureIo, clientRunner } from "../../helpers/cli.ts";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";

let nats: NatsServer;
let gw: TestGateway;
let dir: string;
beforeAll(async () => {
  nats = await startNatsServer();
  gw = await startTestGateway(nats.url);
  dir = mkdtempSync(join(tmpdir(), "pyoco-cli-"));
});
afterAll(async () => { await gw.stop(); await nats.stop(); rmSync(dir, { recursive: true, force: true }); });

const client = clientRunner(() => gw.baseUrl, () => dir);

describe("pyoco client submit", () => {
  test("composes params: --params-file < --params < each --param, values JSON-typed", async () => {
    writeFileSync(join(dir, "params.yaml"), "x: 1\ny: from-file\nz: 0\nnested:\n  a: [1, 2]\n");
    const r = await client("submit", "--flow-name", "etl", "--params-file", "params.yaml", "--params", '{"y": "from-json", "z": 1}',
      "--param", "z=99", "--param", "flag=true", "--param", "name= alice ", "--param", "list=[1,2]", "--param", "empty=", "--tag", "cli", "--tags", "a, b,,");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\{"run_id": "[0-9a-f-]{36}", "status": "PENDING", "bundle_hash": null\}\n$/);
    const stored = (await gw.js.runs.get(r.json.run_id))!.value;
    expect(stored.params).toEqual({ x: 1, y: "from-json", z: 99, nested: { a: [1, 2] }, flag: true, name: "alice", list: [1, 2], empty: "" });
    expect(stored).toMatchObject({ flow_name: "etl", tag: "cli", tags: ["a", "b"] });
  });

  test("a JSON params file works too, and the flow name defaults to main", async () => {
    writeFileSync(join(dir, "params.json"), '{"x": 2}');
    const r = await client("submit", "--params-file", "params.json");
    expect((await gw.js.runs.get(r.json.run_id))!.value).toMatchObject({ flow_name: "main", params: { x: 2 }, tag: "default" });
  });

  test("bad params are ERR-PYOCO-0018 blocks with the original's reasons and hints, exit 1", async () => {
    writeFileSync(join(dir, "list.yaml"), "- 1\n- 2\n");
    writeFileSync(join(dir, "broken.yaml"), "a: [1\n");
    const cases: [string[], string[]][] = [
      [["--params", "[]"], ["- reason: --params must be JSON object\n"]],
      [["--params", "{oops"], ["- reason: --params must be valid JSON object\n"]],
      [["--param", "broken"], ["- reason: --param must be key=value ('broken')\n", "- hint: pyoco client submit --param x=1 --param name=alice\n"]],
      [["--param", " =1"], ["- reason: --param key is empty (' =1')\n", "- hint: pyoco client submit --param x=1\n"]],
      [["--params-file", "missing.json"], ["- reason: failed to read --params-file: missing.json (", "- hint: check file path and read permission\n"]],
      [["--params-file", "list.yaml"], ["- reason: --params-file must contain object at top level (list.yaml)\n", '- hint: file example: {"x":1}\n']],
      [["--params-file", "broken.yaml"], ["- reason: --params-file must be JSON/YAML object (broken.yaml)\n- detail: json=", '- hint: file example: {"x":1} or x: 1\n']],
    ];
    for (const [args, expected] of cases) {
      const r = await client("submit", ...args);
      expect([args, r.code, r.out]).toEqual([args, 1, ""]);
      expect(r.err).toStartWith("ERR-PYOCO-0018: invalid command-line arguments\n");
      for (const part of expected) expect(r.err).toContain(part);
    }
  });
});

describe("pyoco client reads", () => {
  test("submit-yaml, get (with --records) and tasks print JSON", async () => {
    writeFileSync(join(dir, "flow.yaml"), "version: 1\nflow:\n  graph: a\n  defaults: {x: 3}\ntasks:\n  a: {callable: 'm:a'}\n");
    const sub = await client("submit-yaml", "--workflow-file", "flow.yaml", "--flow-name", "main", "--tag", "y");
    expect(sub.code).toBe(0);
    const id = sub.json.run_id;
    const got = await client("get", id);
    expect(got.json).toMatchObject({ run_id: id, params: { x: 3 }, workflow_yaml_bytes: expect.any(Number) });
    expect(got.json).not.toContainKey("task_records");
    expect((await client("get", id, "--records")).json.task_records).toEqual({});
    expect((await client("tasks", id)).json).toEqual({ run_id: id, flow_name: "main", status: "PENDING", tasks: {}, task_records: {}, task_records_truncated: false });
  });

  test("get and tasks --output table: the snapshot's fields with local times, then one row per task", async () => {
    const id = (await client("submit", "--tag", "tables", "--param", "x=5")).json.run_id;
    const t = Date.now() / 1000;
    await gw.js.runs.mutate(id, (cur) => ({ ...cur!, status: "COMPLETED", start_time: t - 2, end_time: t, updated_at: t, tasks: { fetch: "SUCCEEDED", total: "FAILED" },
      task_records: { fetch: { state: "SUCCEEDED", started_at: t - 2, ended_at: t - 1.5, duration_ms: 500 }, total: { state: "FAILED", started_at: t - 1, ended_at: t, duration_ms: 1234, error: "ValueError: boom\nmore" } } }));
    const got = await client("get", id, "--output", "table");
    expect(got.code).toBe(0);
    const rows = got.out.split("\n");
    expect(rows[0]!.trimEnd()).toMatch(/^field +value$/);
    expect(rows[1]!.trimEnd()).toMatch(new RegExp(`^run_id +${id}$`));
    expect(got.out).toMatch(/\nstatus +COMPLETED/);
    expect(got.out).toMatch(/\nparams +\{"x":5\}/);
    expect(got.out).toMatch(/\nend_time +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+s ago\)/);
    expect(got.out).toMatch(/\ntask +state +started +finished +duration +error/);
    expect(got.out).toMatch(/\nfetch +SUCCEEDED +\d{4}-.+ago\) +\d{4}-.+ago\) +500ms +-/);
    expect(got.out).toMatch(/\ntotal +FAILED .+ 1\.23s +ValueError: boom\s*\n/);

    const tasks = await client("tasks", id, "--output", "table");
    expect(tasks.code).toBe(0);
    expect(tasks.out).toStartWith(`run ${id}  flow main  status COMPLETED\n\ntask `);
    expect(tasks.out).toMatch(/\ntotal +FAILED .+ 1\.23s +ValueError: boom/);
    expect((await client("tasks", id)).json.task_records.total.duration_ms).toBe(1234);   // JSON keeps the wire values
  });

  test("a missing workflow file is a file I/O error block", async () => {
    const r = await client("submit-yaml", "--workflow-file", "nope.yaml", "--flow-name", "main", "--tag", "y");
    expect(r.code).toBe(1);
    expect(r.err).toStartWith("ERR-PYOCO-0018: file I/O error\n- reason: ");
    expect(r.err).toEndWith(`- hint: check that nope.yaml exists and is readable (relative to ${dir})\n`);
  });

  test("list --output table shows one aligned row per run; list-vnext adds the next_cursor line", async () => {
    const tag = "tbl" + Date.now();
    const a = (await client("submit", "--tag", tag)).json.run_id;
    const b = (await client("submit", "--tag", tag, "--flow-name", "a-much-longer-flow-name")).json.run_id;
    const table = await client("list", "--tag", tag, "--output", "table");
    expect(table.code).toBe(0);
    const lines = table.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^run_id {32}status {3}flow_name {16}tag +updated_at/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toStartWith(`${b}  PENDING  a-much-longer-flow-name  ${tag}`);
    expect(lines[2]).toStartWith(`${a}  PENDING  main                     ${tag}`);
    expect(lines[1]!.indexOf("PENDING")).toBe(lines[0]!.indexOf("status"));
    // Times for people: local date and time plus how long ago, not epoch seconds.
    expect(lines[1]!.slice(lines[0]!.indexOf("updated_at")).trimEnd()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+s ago\)$/);

    const page = await client("list-vnext", "--tag", tag, "--limit", "1", "--updated-after", "0", "--output", "table");
    expect(page.out).toMatch(/\nnext_cursor: [A-Za-z0-9_-]+\n$/);
    const cursor = page.out.trimEnd().split("next_cursor: ")[1]!;
    const next = await client("list-vnext", "--tag", tag, "--limit", "1", "--cursor", cursor);
    expect(next.json).toEqual({ items: [expect.objectContaining({ run_id: a })], next_cursor: null });
    expect((await client("list", "--tag", "nothing-here", "--output", "table")).out).toBe("(no items)\n");
    expect((await client("list-vnext", "--tag", tag)).json.next_cursor).toBeNull();
  });
});

describe("pyoco client cancel", () => {
  test("records the request (with a reason) and prints the snapshot", async () => {
    const id = (await client("submit")).json.run_id;
    const r = await client("cancel", "--run-id", id, "--reason", "not needed");
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ run_id: id, status: "CANCELLING", cancel_reason: "not needed" });
  });

  test("--wait exits 0 once the run is terminal and prints the final snapshot", async () => {
    const id = (await client("submit")).json.run_id;
    const waiting = client("cancel", "--run-id", id, "--wait", "--timeout-sec", "10");
    // Play the worker: once the cancel is recorded, end the run.
    const { waitFor } = await import("../../../src/lib/async.ts");
    await waitFor(async () => (await gw.js.runs.get(id))!.value.status === "CANCELLING", { what: "the cancel" });
    await gw.js.runs.mutate(id, (cur) => ({ ...cur!, status: "CANCELLED", end_time: Date.now() / 1000 }));
    const r = await waiting;
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ run_id: id, status: "CANCELLED" });
  });

  test("--wait that runs out of time is an ERR-PYOCO-CANCEL block, exit 1", async () => {
    const id = (await client("submit")).json.run_id;
    const r = await client("cancel", "--run-id", id, "--wait", "--timeout-sec", "1");
    expect(r.code).toBe(1);
    expect(r.err).toBe(`ERR-PYOCO-CANCEL: wait timeout\n- reason: cancel wait timeout for run_id=${id} after 1 s; a running run may take the cancel grace period `
      + `(PYOCO_CANCEL_GRACE_PERIOD_SEC, 30 s here) to stop before the worker kills it\n`
      + `- hint: wait longer with --timeout-sec, or look at the run with \`pyoco client get ${id}\` and its worker with \`pyoco client workers\`\n`);
  });

  test("--run-id is required", async () => {
    const r = await client("cancel");
    expect(r.code).toBe(1);
    expect(r.err).toContain("- reason: the following arguments are required: --run-id\n");
    expect(r.err).toContain("- hint: pass --run-id ID, e.g. `pyoco client cancel --run-id");
    expect(r.err).not.toContain("usage: usage:");
  });
});

describe("pyoco client errors", () => {
  test("an HTTP error is the ERR-PYOCO-HTTP request block with status, method, path and body", async () => {
    const r = await client("tasks", "missing");
    expect(r.code).toBe(1);
    expect(r.err).toBe('ERR-PYOCO-HTTP: request failed\n- reason: HTTP 404 GET /runs/missing/tasks: {"detail":"run not found"}\n'
      + `- hint: no such run at ${gw.baseUrl}; \`pyoco client list --output table\` shows the runs\n`);
  });

  test("a refused connection is the ERR-PYOCO-HTTP connection block", async () => {
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = listener.port;
    listener.stop(true);
    const io = captureIo();
    const code = await run(["client", "--server", `http://127.0.0.1:${port}`, "list"], io);
    expect(code).toBe(1);
    expect(io.err).toBe(`ERR-PYOCO-HTTP: connection error\n- reason: connection refused (http://127.0.0.1:${port}/runs)\n`
      + `- hint: is the gateway running at http://127.0.0.1:${port}? start it with \`pyoco up\`, or pass --server URL (or set PYOCO_SERVER_URL)\n`);
  });

  test("global flags work after the subcommand too, and PYOCO_SERVER_URL is the default server", async () => {
    const after = captureIo();
    expect(await run(["client", "list", "--limit", "1", "--server", gw.baseUrl], after)).toBe(0);
    const fromEnv = captureIo({ PYOCO_SERVER_URL: gw.baseUrl });
    expect(await run(["client", "list", "--limit", "1"], fromEnv)).toBe(0);
    expect(JSON.parse(fromEnv.out)).toBeArray();
  });

  test("help lists the subcommands; an unknown subcommand is a usage block", async () => {
    const help = captureIo();
    expect(await run(["client", "--help"], help)).toBe(0);
    for (const s of ["submit", "submit-yaml", "get", "tasks", "list", "list-vnext", "cancel"]) expect(help.out).toContain(`  ${s} `);
    const bad = captureIo();
    expect(await run(["client", "frob"], bad)).toBe(1);
    expect(bad.err).toContain("- reason: argument command: invalid choice: 'frob'");
  });
});
