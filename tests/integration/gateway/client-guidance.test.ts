/**
 * What a newcomer sees when something is wrong (issue 13): English headlines with hints that name
 * the thing to do, checks done before any request, the reasons of a refused flow.yaml, and the
 * warning when nobody serves the tag a run was sent to. In-process CLI against a real gateway.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../../src/cli/index.ts";
import { normalizeWorkerRecord } from "../../../src/domain/worker-record.ts";
import { captureIo } from "../../helpers/cli.ts";
import { gatewayForFile } from "../../helpers/gateway.ts";

const file = gatewayForFile();
const dir = mkdtempSync(join(tmpdir(), "pyoco-guidance-"));

async function pyoco(...args: string[]) {
  const io = captureIo();
  io.cwd = dir;
  const code = await run(args, io);
  return { code, out: io.out, err: io.err };
}
const client = (...args: string[]) => pyoco("client", "--server", file.gw.baseUrl, ...args);

/** A port nothing listens on: a request to it would fail with a connection error. */
function deadServer(): string {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return `http://127.0.0.1:${port}`;
}

describe("headlines and hints", () => {
  test("no Japanese headline, no class name, no `usage: usage:` anywhere in the usage errors", async () => {
    const cases = [["client", "submit", "--nope"], ["worker", "--concurrency", "x"], ["client", "cancel"], ["admin", "api-key", "frob"],
      ["nats", "frob"], ["up", "--port", "99999"], ["client", "lst"]];
    for (const args of cases) {
      const r = await pyoco(...args);
      expect([args, r.code === 1 || r.code === 2]).toEqual([args, true]);
      expect(r.err).not.toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
      expect(r.err).not.toContain("usage: usage:");
      expect(r.err).not.toMatch(/\w+Error\b/);
      expect(r.err).toMatch(/hint: .*(`pyoco |--[a-z])/);   // names a command line or a flag
    }
  });

  test("a mistyped flag or subcommand gets a 'did you mean'", async () => {
    expect((await client("submit", "--flow-nam", "x")).err).toContain("- hint: did you mean --flow-name?");
    expect((await client("lst")).err).toContain("did you mean `pyoco client list`?");
  });

  test("admin api-key --help explains the three actions", async () => {
    const r = await pyoco("admin", "api-key", "--help");
    expect(r.code).toBe(0);
    for (const part of ["usage: pyoco admin api-key", "create --tenant T", "list", "revoke --key-id ID"]) expect(r.out).toContain(part);
  });

  test("a NATS that is not there: English headline with the URL and what to start", async () => {
    const r = await pyoco("admin", "--nats-url", "nats://127.0.0.1:1", "api-key", "list");
    expect(r.code).toBe(1);
    expect(r.err).toStartWith("ERR-PYOCO-0003: NATS unavailable\n- reason: cannot connect to nats://127.0.0.1:1");
    expect(r.err).toContain("- hint: start NATS (`pyoco nats up`");
  });
});

describe("checked before the request", () => {
  test("list --status DONE names the statuses that exist", async () => {
    const r = await pyoco("client", "--server", deadServer(), "list", "--status", "DONE");
    expect(r.code).toBe(1);
    expect(r.err).toContain("- reason: argument --status: invalid choice: 'DONE' (choose from 'PENDING', 'PENDING_APPROVAL', 'RUNNING', 'CANCELLING', 'COMPLETED', 'FAILED', 'CANCELLED')");
  });

  test("--limit out of range is a usage error, not a 422 from the server", async () => {
    for (const [sub, limit, range] of [["list", "500", "1..200"], ["list-vnext", "0", "1..200"], ["workers", "501", "1..500"]] as const) {
      const r = await pyoco("client", "--server", deadServer(), sub, "--limit", limit);
      expect([sub, r.code]).toEqual([sub, 1]);
      expect(r.err).toContain(`- reason: argument --limit: ${limit} is outside ${range}`);
      expect(r.err).toContain(`- hint: pass --limit with a value in ${range}`);
    }
  });
});

describe("submit guidance", () => {
  test("submit-yaml prints each reason with file:line:column and what was expected", async () => {
    writeFileSync(join(dir, "bad.yaml"), "version: 1\nflow:\n  graph: a >> b\nextra_top: 1\ntasks:\n  a: {callable: 'm:a'}\n");
    const r = await client("submit-yaml", "--workflow-file", "bad.yaml", "--flow-name", "main", "--tag", "t");
    expect(r.code).toBe(1);
    expect(r.err).toBe("ERR-PYOCO-0002: flow.yaml was refused\n"
      + "- reason: HTTP 422 POST /runs/yaml: invalid workflow yaml (unknown_top_level_keys: ['extra_top'])\n"
      + "- detail: bad.yaml:4:1: unknown top-level key 'extra_top' [extra_top] (expected: one of the keys version, flow, tasks, runtime)\n"
      + "- hint: fix bad.yaml at the place listed above and submit again\n");
  });

  test("submit-yaml with a graph naming an undefined task is refused before it is queued", async () => {
    writeFileSync(join(dir, "graph.yaml"), "flow:\n  graph: a >> c\ntasks:\n  a: {callable: 'm:a'}\n");
    const r = await client("submit-yaml", "--workflow-file", "graph.yaml", "--flow-name", "main", "--tag", "t");
    expect(r.code).toBe(1);
    expect(r.err).toContain("- detail: graph.yaml:2:15: the graph uses 'c', which is not a task of this file [flow.graph] (expected: a task defined under 'tasks:' (defined: a))\n");
  });

  test("a tag no live worker serves gets a warning; a served tag does not", async () => {
    const lonely = await client("submit", "--flow-name", "main", "--tag", "nobody-here");
    expect(lonely.code).toBe(0);
    expect(JSON.parse(lonely.out).status).toBe("PENDING");
    expect(lonely.err).toContain("warning: no live worker serves tag 'nobody-here' (1 run(s) waiting)");
    expect(lonely.err).toContain("`pyoco worker --tags nobody-here`");

    const now = Date.now() / 1000;
    await file.gw.js.workers.put("served-1", normalizeWorkerRecord({ state: "IDLE", tags: ["served"], last_seen_at: now }, "served-1"));
    const served = await client("submit", "--flow-name", "main", "--tag", "served");
    expect(served.code).toBe(0);
    expect(served.err).toBe("");
  });
});
