/**
 * /openapi.json is complete and true (issue 13): every route the gateway serves is described with
 * its response body (and request body where it takes one), and real responses of a real stack
 * (gateway, nats-server, worker with the Pyoco test double) validate against the document's
 * schemas — the served document, not the TypeBox sources.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { schemaIssues } from "../../../src/gateway/schema.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { startStack, type Stack } from "../../helpers/stack.ts";

let stack: Stack;
let doc: any;
beforeAll(async () => {
  stack = await startStack({ workerId: "openapi-worker" });
  doc = await (await fetch(`${stack.baseUrl}/openapi.json`)).json();
}, 60_000);
afterAll(async () => { await stack?.stop(); });

const resolve = (ref: string) => ref.slice(2).split("/").reduce((o: any, k) => o?.[k], doc);

/** Elysia's `/runs/:run_id` → OpenAPI's `/runs/{run_id}`; `/static/*` → `/static/{path}`. */
function openApiPath(path: string): string {
  return path.split("/").map((seg) => (seg.startsWith(":") ? `{${seg.slice(1)}}` : seg === "*" ? "{path}" : seg)).join("/");
}

/** The response schema the document gives for (path, method, status). */
function responseSchema(path: string, method: string, status: number): { schema: any; type: string } | null {
  const op = doc.paths[path]?.[method];
  const r = op?.responses?.[String(status)];
  if (!r?.content) return null;
  const [type, media] = Object.entries(r.content)[0] as [string, any];
  return { schema: media.schema, type };
}

/** Call the gateway and check the answer against the document. */
async function conforms(method: string, docPath: string, url: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(stack.baseUrl + url, { method: method.toUpperCase(), ...init });
  const text = await res.text();
  const expected = responseSchema(docPath, method, res.status);
  expect([method, url, res.status, expected !== null]).toEqual([method, url, res.status, true]);
  if (!expected!.type.includes("json")) return text;
  const body = JSON.parse(text);
  expect([method, url, schemaIssues(expected!.schema, body, [], resolve)]).toEqual([method, url, []]);
  return body;
}

describe("/openapi.json", () => {
  test("describes every route the gateway serves, with a response body, and a request body for every JSON write", () => {
    const missing: string[] = [];
    for (const r of stack.gateway.app.routes as { method: string; path: string }[]) {
      const method = r.method.toLowerCase();
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const op = doc.paths[openApiPath(r.path)]?.[method];
      if (!op) { missing.push(`${method} ${r.path}: not described`); continue; }
      const ok = Object.entries(op.responses ?? {}).find(([code]) => code.startsWith("2")) as [string, any] | undefined;
      if (!ok?.[1]?.content) missing.push(`${method} ${r.path}: no 2xx response body`);
    }
    expect(missing).toEqual([]);
    for (const [path, method] of [["/runs", "post"], ["/runs/yaml", "post"], ["/runs/{run_id}/cancel", "post"], ["/workers/{worker_id}", "patch"]]) {
      expect([path, method, Boolean(doc.paths[path][method].requestBody)]).toEqual([path, method, true]);
    }
  });

  test("real responses of the run, worker, queue and health endpoints validate against it", async () => {
    const submitted = await conforms("post", "/runs", "/runs", { headers: { "content-type": "application/json" }, body: JSON.stringify({ flow_name: "add", params: { x: 1 } }) });
    const runId = submitted.run_id as string;
    await waitFor(async () => (await (await fetch(`${stack.baseUrl}/runs/${runId}`)).json()).status === "COMPLETED", { timeoutMs: 20_000, what: "the run to complete" });
    await conforms("get", "/runs/{run_id}", `/runs/${runId}`);
    await conforms("get", "/runs/{run_id}", `/runs/${runId}?include=records`);
    await conforms("get", "/runs/{run_id}/tasks", `/runs/${runId}/tasks`);
    await conforms("get", "/runs", "/runs");
    await conforms("get", "/runs", "/runs?updated_after=0&limit=1");
    await conforms("get", "/runs", "/runs?include=full");
    await conforms("post", "/runs/{run_id}/cancel", `/runs/${runId}/cancel`, { headers: { "content-type": "application/json" }, body: '{"reason":"done anyway"}' });
    const form = new FormData();
    form.append("workflow", new File(["flow:\n  graph: a\ntasks:\n  a: {callable: 'demo_tasks:add_one'}\n"], "flow.yaml"));
    form.append("flow_name", "y");
    await conforms("post", "/runs/yaml", "/runs/yaml", { body: form });
    const bad = new FormData();
    bad.append("workflow", new File(["extra: 1\nflow: {graph: a}\n"], "flow.yaml"));
    bad.append("flow_name", "y");
    await conforms("post", "/runs/yaml", "/runs/yaml", { body: bad });   // the 422 with reason and errors is described too
    const workers = await conforms("get", "/workers", "/workers?scope=all");
    expect(workers.length).toBeGreaterThan(0);
    await conforms("patch", "/workers/{worker_id}", "/workers/openapi-worker", { headers: { "content-type": "application/json" }, body: '{"hidden": false}' });
    await conforms("get", "/queues", "/queues");
    await conforms("get", "/health", "/health");
    await conforms("get", "/health/ready", "/health/ready");
    await conforms("get", "/metrics", "/metrics");
    await conforms("get", "/docs", "/docs");
  });

  test("every other GET without path parameters answers with what the document says", async () => {
    const skip = new Set(["/openapi.json", "/"]);
    for (const [path, item] of Object.entries(doc.paths) as [string, any][]) {
      if (!item.get || path.includes("{") || skip.has(path) || path.includes("watch")) continue;
      await conforms("get", path, path);
    }
  });
});
