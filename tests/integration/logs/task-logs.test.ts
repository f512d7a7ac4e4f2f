/**
 * Task logs end to end: a real worker runs real Python tasks that print, write stderr and log;
 * the lines land on PYOCO_LOGS and come back through GET /runs/{id}/logs, the SSE watch (with
 * Last-Event-ID resume and an end after the run), `pyoco client logs`, tenant scoping, and the
 * per-run limits (drops counted and shown, the run unaffected).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { run } from "../../../src/cli/index.ts";
import { parseSse, sseJson } from "../../../src/client/sse.ts";
import type { LogLine, LogPage } from "../../../src/client/types.ts";
import { apiKeyKvKey, generateApiKey } from "../../../src/domain/api-key.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { captureIo } from "../../helpers/cli.ts";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.ts";
import { startStack, type Stack } from "../../helpers/stack.ts";
import { startWorker, type StartedWorker } from "../../helpers/worker.ts";

let stack: Stack;

beforeAll(async () => { stack = await startStack(); }, 60_000);
afterAll(async () => { await stack?.stop(); });

async function getJson(path: string, headers: Record<string, string> = {}, base = stack.baseUrl): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path, { headers });
  return { status: res.status, json: await res.json() };
}

async function waitTerminal(runId: string, base = stack.baseUrl, headers: Record<string, string> = {}): Promise<Record<string, any>> {
  return waitFor(async () => {
    const { json } = await getJson(`/runs/${runId}`, headers, base);
    return ["COMPLETED", "FAILED", "CANCELLED"].includes(json.status) ? json : null;
  }, { timeoutMs: 30_000, intervalMs: 25, what: `run ${runId} to end` });
}

/** Read SSE events until the stream ends (or `stopAfter` events), with a deadline. */
async function readEvents(url: string, opts: { lastEventId?: string; stopAfter?: number; headers?: Record<string, string> } = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 30_000);
  const res = await fetch(url, { headers: { ...(opts.lastEventId ? { "Last-Event-ID": opts.lastEventId } : {}), ...opts.headers }, signal: ctl.signal });
  const events: { event: string; id?: string; data: any }[] = [];
  try {
    for await (const m of parseSse(res.body!, ctl.signal)) {
      events.push({ event: m.event, id: m.id, data: sseJson(m.data) });
      if (opts.stopAfter && events.length >= opts.stopAfter) break;
    }
  } finally { clearTimeout(timer); ctl.abort(); }
  return { status: res.status, events };
}

describe("capture", () => {
  test("print, stderr and logging records of a task come back with task, stream, level and time", async () => {
    const runId = await stack.submit("chatty", { lines: 3 });
    await waitTerminal(runId);
    const { status, json } = await getJson(`/runs/${runId}/logs`);
    expect(status).toBe(200);
    const page = json as LogPage;
    expect(page.run_id).toBe(runId);
    const lines = page.items.map((l) => [l.task, l.stream, l.level, l.message]);
    expect(lines).toContainEqual(["chatty", "stdout", null, "print line 0"]);
    expect(lines).toContainEqual(["chatty", "stdout", null, "print line 2"]);
    expect(lines).toContainEqual(["chatty", "stderr", null, "stderr line"]);
    expect(lines).toContainEqual(["chatty", "log", "INFO", "info record 3"]);
    expect(lines).toContainEqual(["chatty", "log", "WARNING", "warning record"]);
    expect(page.items.some((l) => l.message.includes("debug record"))).toBe(false);
    const info = page.items.find((l) => l.message === "info record 3")!;
    expect(info).toMatchObject({ logger: "demo.tasks", worker_id: "stack-worker", attempt: 1 });
    expect(Math.abs(info.ts - Date.now() / 1000)).toBeLessThan(120);
    const seqs = page.items.map((l) => l.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(page.next_seq).toBe(seqs[seqs.length - 1]!);
    expect(page.dropped).toBe(0);

    // Paging with since_seq and limit returns the same lines.
    const first = (await getJson(`/runs/${runId}/logs?limit=2`)).json as LogPage;
    expect(first.items.map((l) => l.seq)).toEqual(seqs.slice(0, 2));
    const rest = (await getJson(`/runs/${runId}/logs?since_seq=${first.next_seq}`)).json as LogPage;
    expect(rest.items.map((l) => l.seq)).toEqual(seqs.slice(2));
    const none = (await getJson(`/runs/${runId}/logs?since_seq=${page.next_seq}`)).json as LogPage;
    expect(none).toEqual({ run_id: runId, items: [], next_seq: null, dropped: 0 });
  }, 40_000);

  test("output of a task's child processes (os.system, subprocess) comes back as stderr lines of that task", async () => {
    const runId = await stack.submit("shell_out", {});
    expect((await waitTerminal(runId)).status).toBe("COMPLETED");
    const { json } = await getJson(`/runs/${runId}/logs`);
    const lines = (json as LogPage).items.map((l) => [l.task, l.stream, l.message]);
    expect(lines).toContainEqual(["shell_out", "stderr", "child stdout line"]);
    expect(lines).toContainEqual(["shell_out", "stderr", "child stderr line"]);
    expect(lines).toContainEqual(["shell_out", "stderr", "no newline at the end"]);
    expect(lines).toContainEqual(["shell_out", "stdout", "python print line"]);
  });

  test("unknown runs are 404 and bad queries 422", async () => {
    expect(await getJson(`/runs/${crypto.randomUUID()}/logs`)).toEqual({ status: 404, json: { detail: "run not found" } });
    expect((await fetch(`${stack.baseUrl}/runs/${crypto.randomUUID()}/logs/watch`)).status).toBe(404);
    expect((await getJson(`/runs/x/logs?limit=0`)).status).toBe(422);
    expect((await getJson(`/runs/x/logs?since_seq=-1`)).status).toBe(422);
  });
});

describe("GET /runs/{id}/logs/watch", () => {
  test("streams lines live, ends after the run, and resumes after Last-Event-ID without repeats", async () => {
    const runId = await stack.submit("slow_logger", { lines: 12, delay: 0.05 });
    const url = `${stack.baseUrl}/runs/${runId}/logs/watch`;
    const firstPart = await readEvents(url, { stopAfter: 4 });
    expect(firstPart.status).toBe(200);
    const firstLogs = firstPart.events.filter((e) => e.event === "log");
    expect(firstLogs.length).toBeGreaterThan(0);
    const lastId = firstLogs[firstLogs.length - 1]!.id!;
    expect(Number(lastId)).toBe((firstLogs[firstLogs.length - 1]!.data as LogLine).seq);

    const resumed = await readEvents(url, { lastEventId: lastId });
    const resumedLogs = resumed.events.filter((e) => e.event === "log").map((e) => e.data as LogLine);
    expect(resumed.events.at(-1)).toMatchObject({ event: "end", data: { run_id: runId, status: "COMPLETED" } });
    expect(resumedLogs.every((l) => l.seq > Number(lastId))).toBe(true);
    const ticks = [...firstLogs.map((e) => (e.data as LogLine).message), ...resumedLogs.map((l) => l.message)].filter((m) => m.startsWith("tick"));
    expect(ticks).toEqual(Array.from({ length: 12 }, (_, i) => `tick ${i}`));

    // After the end: a watch from the start replays everything and ends; one from the last id ends at once.
    const replay = await readEvents(url);
    expect(replay.events.filter((e) => e.event === "log")).toHaveLength(firstLogs.length + resumedLogs.length);
    expect(replay.events.at(-1)!.event).toBe("end");
    const atEnd = await readEvents(url, { lastEventId: String(resumedLogs.at(-1)!.seq) });
    expect(atEnd.events.map((e) => e.event)).toEqual(["end"]);
  }, 40_000);
});

describe("pyoco client logs", () => {
  async function cli(...args: string[]) {
    const io = captureIo();
    const code = await run(["client", "--server", stack.baseUrl, "logs", ...args], io);
    return { code, out: io.out, err: io.err };
  }

  test("prints the lines as text or JSON, and --follow until the run ends", async () => {
    const done = await stack.submit("chatty", { lines: 2 });
    await waitTerminal(done);
    const text = await cli(done);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/chatty\s+stdout\s+print line 1/);
    expect(text.out).toMatch(/chatty\s+INFO\s+info record 2/);
    const json = await cli(done, "--output", "json");
    expect(JSON.parse(json.out).items.length).toBeGreaterThanOrEqual(5);

    const live = await stack.submit("slow_logger", { lines: 5, delay: 0.05 });
    const followed = await cli(live, "--follow");
    expect(followed.code).toBe(0);
    for (let i = 0; i < 5; i++) expect(followed.out).toContain(`tick ${i}`);
    expect((await getJson(`/runs/${live}`)).json.status).toBe("COMPLETED");

    const missing = await cli(crypto.randomUUID());
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("run not found");
    expect((await cli()).code).toBe(1);
  }, 40_000);
});

describe("tenant scoping", () => {
  test("another tenant's run logs are 404, the owner's are readable", async () => {
    const secured: TestGateway = await startTestGateway(stack.natsUrl, { authMode: "api_key" });
    try {
      const keys = await Promise.all(["t-a", "t-b"].map(async (tenant) => {
        const { record, apiKey } = generateApiKey(tenant, null, Date.now() / 1000);
        await secured.js.apiKeys.create(apiKeyKvKey(record.key_id), record);
        return apiKey;
      }));
      const res = await fetch(`${secured.baseUrl}/runs`, {
        method: "POST", headers: { "content-type": "application/json", "X-API-Key": keys[0]! }, body: JSON.stringify({ flow_name: "chatty" }),
      });
      const runId = ((await res.json()) as { run_id: string }).run_id;
      await waitTerminal(runId, secured.baseUrl, { "X-API-Key": keys[0]! });
      const own = await getJson(`/runs/${runId}/logs`, { "X-API-Key": keys[0]! }, secured.baseUrl);
      expect(own.status).toBe(200);
      expect(own.json.items.length).toBeGreaterThan(0);
      expect((await getJson(`/runs/${runId}/logs`, { "X-API-Key": keys[1]! }, secured.baseUrl)).status).toBe(404);
      expect((await fetch(`${secured.baseUrl}/runs/${runId}/logs/watch`, { headers: { "X-API-Key": keys[1]! } })).status).toBe(404);
      expect((await fetch(`${secured.baseUrl}/runs/${runId}/logs`)).status).toBe(401);
    } finally { await secured.stop(); }
  }, 40_000);
});

describe("limits", () => {
  let limited: StartedWorker;
  beforeAll(async () => {
    limited = await startWorker({
      natsUrl: stack.natsUrl, tags: ["limited"], workerId: "limited-worker",
      env: { PYOCO_LOGS_MAX_LINES_PER_RUN: "5", PYOCO_LOGS_LINE_MAX_BYTES: "256" },
    });
  }, 30_000);
  afterAll(async () => { await limited?.stop(); });

  test("past the per-run line limit lines are dropped and counted; the run still completes", async () => {
    const runId = await stack.submit("chatty", { lines: 40 }, "limited");
    const snapshot = await waitTerminal(runId);
    expect(snapshot.status).toBe("COMPLETED");
    const page = (await getJson(`/runs/${runId}/logs`)).json as LogPage;
    const normal = page.items.filter((l) => l.stream !== "system");
    expect(normal).toHaveLength(5);
    const system = page.items.filter((l) => l.stream === "system");
    expect(system[0]!.message).toContain("log limit reached (lines per run)");
    const summary = page.items.at(-1)!;
    expect(summary.stream).toBe("system");
    // 40 prints + stderr + 2 logging records = 43 lines offered, 5 kept; the runner itself may drop records past 5 too.
    expect(summary.dropped).toBe(38);
    expect(page.dropped).toBe(38);
  }, 40_000);
});
