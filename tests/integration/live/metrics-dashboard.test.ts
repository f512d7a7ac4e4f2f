/**
 * GET /metrics checked line by line against the Prometheus text format, with values matching
 * the runs and workers the test created; api_key mode protecting /metrics, /workers, /queues and
 * PATCH /workers (PYOCO_METRICS_PUBLIC=1 reopens /metrics); the dashboard page and static files.
 */
import { describe, expect, test } from "bun:test";
import { createApp } from "../../../src/gateway/app.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { gatewayForFile, startTestGateway } from "../../helpers/gateway.ts";

const file = gatewayForFile();

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*)\})? (\S+)$/;

interface Parsed { help: Map<string, string>; type: Map<string, string>; samples: { name: string; labels: string; value: number }[] }

/** Parse an exposition body, failing on any line that breaks the format rules. */
function parseExposition(text: string): Parsed {
  expect(text.endsWith("\n")).toBe(true);
  const out: Parsed = { help: new Map(), type: new Map(), samples: [] };
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) {
      const [name] = line.slice(7).split(" ", 1);
      expect(name).toMatch(METRIC_NAME);
      expect(out.help.has(name!)).toBe(false);
      out.help.set(name!, line.slice(8 + name!.length));
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [name, type] = line.slice(7).split(" ");
      expect(out.help.has(name!)).toBe(true);   // HELP first
      expect(["counter", "gauge", "histogram", "summary", "untyped"]).toContain(type!);
      out.type.set(name!, type!);
      continue;
    }
    const m = line.match(SAMPLE);
    if (!m) throw new Error(`not a valid sample line: ${JSON.stringify(line)}`);
    const [, name, , labels, value] = m;
    const family = out.type.has(name!) ? name! : name!.replace(/_(bucket|sum|count)$/, "");
    expect(out.type.has(family)).toBe(true);   // TYPE (and HELP) before the samples
    const v = value === "+Inf" ? Infinity : value === "-Inf" ? -Infinity : Number(value);
    expect(Number.isNaN(v) && value !== "NaN").toBe(false);
    out.samples.push({ name: name!, labels: labels ?? "", value: v });
  }
  return out;
}

const value = (p: Parsed, name: string, labels = "") => p.samples.find((s) => s.name === name && s.labels === labels)?.value;

async function metrics(headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${file.gw.baseUrl}/metrics`, { headers });
}

describe("metrics", () => {
  test("an empty system gives zero metrics, not 503", async () => {
    const res = await metrics();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const p = parseExposition(await res.text());
    expect(value(p, "pyoco_workers_alive_total")).toBe(0);
    expect(value(p, "pyoco_dlq_messages_total")).toBe(0);
    expect(p.samples.filter((s) => s.name === "pyoco_runs_total")).toEqual([]);
  });

  test("every line follows the text format and the values match the runs and workers created", async () => {
    const now = Date.now() / 1000;
    const statuses = ["COMPLETED", "COMPLETED", "FAILED", "RUNNING"];
    const runIds: string[] = [];
    for (const status of statuses) {
      const runId = crypto.randomUUID();
      runIds.push(runId);
      await file.gw.js.runs.create(runId, { run_id: runId, flow_name: "main", status, updated_at: now });
    }
    const old = crypto.randomUUID();
    await file.gw.js.runs.create(old, { run_id: old, flow_name: "main", status: "COMPLETED", updated_at: now - 3 * 86_400 });
    await file.gw.js.workers.put("w1", { worker_id: "w1", state: "IDLE", tags: ["a\"b"], last_seen_at: now } as any);
    await fetch(`${file.gw.baseUrl}/runs/${runIds[0]}`);
    await fetch(`${file.gw.baseUrl}/runs/${crypto.randomUUID()}`);
    const submitted = await fetch(`${file.gw.baseUrl}/runs`, { method: "POST", body: JSON.stringify({ flow_name: "main", params: {}, tag: "nobody" }), headers: { "content-type": "application/json" } });
    expect(submitted.status).toBe(200);

    const p = await waitFor(async () => {
      const parsed = parseExposition(await (await metrics()).text());
      return value(parsed, "pyoco_run_index_size") === 6 ? parsed : null;
    }, { timeoutMs: 5000, what: "index to hold the 6 runs" });

    const names = [...p.type.keys()];
    expect(names.slice(0, 4)).toEqual(["pyoco_runs_total", "pyoco_runs_today_total", "pyoco_workers_alive_total", "pyoco_dlq_messages_total"]);
    expect(p.help.get("pyoco_runs_total")).toBe("Count of runs by status (best-effort from KV).");
    expect(p.help.get("pyoco_runs_today_total")).toBe("Count of runs updated today by status (best-effort from KV).");
    expect(p.help.get("pyoco_workers_alive_total")).toBe("Count of workers present in TTL KV (best-effort).");
    expect(p.help.get("pyoco_dlq_messages_total")).toBe("Total DLQ messages in the DLQ stream (best-effort).");
    for (const n of ["pyoco_http_requests_total", "pyoco_submit_duration_seconds", "pyoco_queue_waiting", "pyoco_queue_unacknowledged",
      "pyoco_queue_workers", "pyoco_dlq_depth", "pyoco_run_index_size", "pyoco_run_index_ready"]) expect(names).toContain(n);
    expect(p.type.get("pyoco_http_requests_total")).toBe("counter");
    expect(p.type.get("pyoco_submit_duration_seconds")).toBe("histogram");

    expect(value(p, "pyoco_runs_total", 'status="COMPLETED"')).toBe(3);
    expect(value(p, "pyoco_runs_total", 'status="FAILED"')).toBe(1);
    expect(value(p, "pyoco_runs_total", 'status="RUNNING"')).toBe(1);
    expect(value(p, "pyoco_runs_total", 'status="PENDING"')).toBe(1);   // the submitted one
    expect(value(p, "pyoco_submit_duration_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(value(p, "pyoco_submit_duration_seconds_bucket", 'le="+Inf"')).toBe(value(p, "pyoco_submit_duration_seconds_count"));
    expect(value(p, "pyoco_queue_waiting", 'tag="nobody"')).toBe(1);
    expect(value(p, "pyoco_runs_today_total", 'status="COMPLETED"')).toBe(2);
    expect(value(p, "pyoco_workers_alive_total")).toBe(1);
    expect(value(p, "pyoco_queue_workers", 'tag="a\\"b"')).toBe(1);   // label value escaped
    expect(value(p, "pyoco_run_index_ready")).toBe(1);
    expect(value(p, "pyoco_dlq_depth")).toBe(0);
    // route label is the template, never the raw path
    expect(value(p, "pyoco_http_requests_total", 'route="/runs/:run_id",method="GET",status="200"')).toBeGreaterThanOrEqual(1);
    expect(value(p, "pyoco_http_requests_total", 'route="/runs/:run_id",method="GET",status="404"')).toBeGreaterThanOrEqual(1);
    expect(p.samples.some((s) => s.labels.includes(runIds[0]!))).toBe(false);
    const runsTotal = p.samples.filter((s) => s.name === "pyoco_runs_total").map((s) => s.labels);
    expect(runsTotal).toEqual([...runsTotal].sort());
  });
});

describe("dashboard", () => {
  test("/ injects ja when the gateway resolved Japanese", async () => {
    const app = createApp({ ...file.gw.deps, dashboardLang: "ja" });
    const html = await (await app.handle(new Request("http://localhost/"))).text();
    expect(html).toContain('window.__PYOCO_DASHBOARD_LANG__="ja"');
  });

  test("/ serves index.html with the language injected", async () => {
    const res = await fetch(`${file.gw.baseUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html).not.toContain("__PYOCO_DASHBOARD_LANG_VALUE__");
    expect(html).toContain('window.__PYOCO_DASHBOARD_LANG__="en"');
    expect(html).toContain("/static/app.js");
  });

  test("/static/* serves files with their content types; missing and escaping paths are 404", async () => {
    const js = await fetch(`${file.gw.baseUrl}/static/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    const css = await fetch(`${file.gw.baseUrl}/static/styles.css`);
    expect(css.headers.get("content-type")).toContain("text/css");
    const raw = await (await fetch(`${file.gw.baseUrl}/static/index.html`)).text();
    expect(raw).toContain("__PYOCO_DASHBOARD_LANG_VALUE__");   // the raw template, as in the original
    for (const path of ["/static/nope.js", "/static/..%2Fpackage.json", "/static/%2e%2e/package.json", "/static/"]) {
      const res = await fetch(file.gw.baseUrl + path);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ detail: "Not Found" });
    }
  });
});

describe("api_key mode", () => {
  test("/metrics, /workers, /queues and PATCH /workers need a key; PYOCO_METRICS_PUBLIC=1 opens /metrics", async () => {
    const locked = await startTestGateway(file.nats.url, { authMode: "api_key" });
    const open = await startTestGateway(file.nats.url, { authMode: "api_key", metricsPublic: true });
    try {
      for (const path of ["/metrics", "/workers", "/queues"]) {
        const res = await fetch(locked.baseUrl + path);
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ detail: "api key required" });
      }
      const bad = await fetch(`${locked.baseUrl}/workers/w1`, { method: "PATCH", body: '{"hidden":true}', headers: { "X-API-Key": "pyoco_nope.nope" } });
      expect(bad.status).toBe(403);
      // validation runs before auth, as in FastAPI
      expect((await fetch(`${locked.baseUrl}/workers?scope=bogus`)).status).toBe(422);
      expect((await fetch(`${open.baseUrl}/metrics`)).status).toBe(200);
      expect((await fetch(`${open.baseUrl}/workers`)).status).toBe(401);
      expect((await fetch(`${locked.baseUrl}/`)).status).toBe(200);
    } finally {
      await locked.stop();
      await open.stop();
    }
  });
});
