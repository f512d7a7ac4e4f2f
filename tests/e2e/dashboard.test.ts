/**
 * Dashboard end-to-end: real nats-server, real gateway, real worker running the Pyoco test double
 * (tests/helpers/stack.ts), driven through real Chromium with playwright-core. No mocks; waits
 * are condition waits with deadlines.
 *
 * Covers (issue 11 "Dashboard"): finding a run among 1,000 in the dense table (≥ 20 rows visible
 * at 1366×768), following a run live to its end with timeline and task details, cancelling with
 * a confirmation, reading its task logs, requeuing a DLQ group, the Wheels panel (issue 9), the
 * Schedules panel with pause/resume (issue 12), the API-key prompt on 401/403, every visible word in Japanese and English, the
 * compact phone layout, and panels that say "not available" while their endpoint answers 404.
 * Screenshots go to tests/artifacts/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { apiKeyKvKey, generateApiKey } from "../../src/domain/api-key.ts";
import { TEXT_TABLES } from "../../src/dashboard/i18n.ts";
import { dashboardRoutes } from "../../src/gateway/routes/dashboard.ts";
import { metricsRoutes } from "../../src/gateway/routes/metrics.ts";
import { queuesRoutes } from "../../src/gateway/routes/queues.ts";
import { watchRoutes } from "../../src/gateway/routes/watch.ts";
import { workersRoutes } from "../../src/gateway/routes/workers.ts";
import { startTestGateway } from "../helpers/gateway.ts";
import { startStack } from "../helpers/stack.ts";
import { startWorker } from "../helpers/worker.ts";
import { buildWheel, wheelForm } from "../helpers/wheels.ts";
import { waitFor } from "../../src/lib/async.ts";
import type { DlqGroupList, DlqPage } from "../../src/client/types.ts";

type Stack = Awaited<ReturnType<typeof startStack>>;
type Lang = "en" | "ja";

const CHROMIUM = process.env.PYOCO_CHROMIUM ?? "/usr/bin/chromium";
const LAUNCH_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
];
const ARTIFACTS = join(import.meta.dir, "..", "artifacts");
const DESKTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };
/** Runs parked on a tag no worker serves, so they stay PENDING and cost no worker time. */
const BULK = 1000;
const PARKED_TAG = "parked";

let stack: Stack | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
let needle = "";

async function post(path: string, body: unknown, baseUrl = stack!.baseUrl): Promise<any> {
  const res = await fetch(baseUrl + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`POST ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack({ gateway: { schedulePollIntervalSec: 0.2 } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  // 1,000 runs, 20 requests at a time; one of them has a flow name to look for.
  const ids: string[] = [];
  for (let i = 0; i < BULK; i += 20) {
    const batch = Array.from({ length: Math.min(20, BULK - i) }, (_, j) => {
      const n = i + j;
      return post("/runs", { flow_name: n === 537 ? "needle_report" : "bulk", params: { n }, tag: PARKED_TAG });
    });
    ids.push(...(await Promise.all(batch)).map((r) => r.run_id as string));
  }
  needle = ids[537]!;
}, 180_000);

afterAll(async () => {
  for (const ctx of contexts) await ctx.close().catch(() => {});
  await browser?.close().catch(() => {});
  await stack?.stop();
}, 60_000);

interface OpenPage { page: Page; problems: string[]; sameDocument: () => Promise<boolean> }

/** A fresh browser context (own localStorage) with the dashboard loaded in `lang`. */
async function openDashboard(opts: { viewport?: { width: number; height: number }; lang?: Lang; baseUrl?: string; hash?: string; waitRuns?: boolean } = {}): Promise<OpenPage> {
  const ctx = await browser!.newContext({ viewport: opts.viewport ?? DESKTOP, colorScheme: "light", reducedMotion: "reduce" });
  contexts.push(ctx);
  await ctx.addInitScript((l) => {
    try { if (!localStorage.getItem("pyoco.lang")) localStorage.setItem("pyoco.lang", l); } catch { /* ignore */ }
  }, opts.lang ?? "en");
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error" && !/status of 40[134]/.test(m.text())) problems.push(`console: ${m.text()}`); });
  page.on("response", (r) => { if (r.url().includes("/static/") && r.status() >= 400) problems.push(`asset ${r.url()} -> ${r.status()}`); });
  await page.goto(`${opts.baseUrl ?? stack!.baseUrl}/${opts.hash ?? ""}`, { waitUntil: "domcontentloaded" });
  if (opts.waitRuns !== false) await page.waitForSelector("#runsPanel:not(.is-loading) #runsList tr.run-item", { timeout: 20_000 });
  await page.evaluate(() => { (window as unknown as { __e2e?: number }).__e2e = 1; });
  return { page, problems, sameDocument: () => page.evaluate(() => (window as unknown as { __e2e?: number }).__e2e === 1) };
}

const row = (runId: string) => `#runsList tr.run-item[data-run-id="${runId}"]`;

/** Rows of the runs table that are fully inside its scroll area. */
function visibleRowCount(page: Page): Promise<number> {
  return page.evaluate(() => {
    const wrap = document.querySelector("#runsPanel .table-wrap")!.getBoundingClientRect();
    const bottom = Math.min(wrap.bottom, window.innerHeight);
    return [...document.querySelectorAll("#runsList tr.run-item")].filter((tr) => {
      const r = tr.getBoundingClientRect();
      return r.height > 0 && r.top >= wrap.top && r.bottom <= bottom + 0.5;
    }).length;
  });
}

/** The detail's status badge text, e.g. "Completed" / "完了". */
function detailStatus(page: Page): Promise<string> {
  return page.evaluate(() => document.querySelector("#detailPanel .panel-head .badge")?.getAttribute("title") ?? "");
}

async function waitDetailStatus(page: Page, statuses: string[], timeout = 30_000): Promise<void> {
  await page.waitForFunction((wanted) => wanted.includes(document.querySelector("#detailPanel .panel-head .badge")?.getAttribute("title") ?? ""), statuses, { timeout });
}

/** Every English text of the page (en ≠ ja, no placeholders) that shows up in the visible text. */
async function englishLeaks(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => document.body.innerText);
  const words = Object.entries(TEXT_TABLES.en)
    .filter(([k, v]) => v !== TEXT_TABLES.ja[k as keyof typeof TEXT_TABLES.ja] && !v.includes("{") && v.length >= 3)
    .map(([, v]) => v);
  return words.filter((w) => text.includes(w));
}

describe("dashboard (real gateway + worker + Chromium)", () => {
  test("finds one run among 1,000 in a dense table; at least 20 rows visible at 1366x768", async () => {
    const { page, problems } = await openDashboard();
    expect(await page.title()).toBe("Pyoco Dashboard");
    expect((await page.textContent("h1"))?.trim()).toBe("Pyoco Control Deck");
    await page.waitForFunction((n) => /of 1,0\d\d runs/.test(document.querySelector("#runsCount")?.textContent ?? "") && n > 0, BULK, { timeout: 20_000 });
    const desktopRows = await visibleRowCount(page);
    expect(desktopRows).toBeGreaterThanOrEqual(20);
    console.log(`dashboard: ${desktopRows} run rows fully visible at 1366x768`);
    // No debug text anywhere (the old `visible=21/21 | latest_ts=…` line).
    expect(await page.evaluate(() => document.body.innerText)).not.toMatch(/visible=|latest_ts/);
    // The parked tag has no worker: the banner says so.
    await page.waitForFunction((tag) => (document.querySelector("#queueWarnings")?.textContent ?? "").includes(`Tag ${tag}`), PARKED_TAG, { timeout: 20_000 });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-1366x768-en-runs.png") });

    // By flow name, typed into the search box: one row, the right one.
    await page.fill("#fRunId", "needle");
    await page.waitForFunction(() => document.querySelectorAll("#runsList tr.run-item").length === 1, null, { timeout: 5_000 });
    expect(await page.getAttribute("#runsList tr.run-item", "data-run-id")).toBe(needle);
    // By the first 8 characters of its id (what the table shows).
    await page.fill("#fRunId", needle.slice(0, 8));
    await page.waitForFunction((id) => {
      const rows = [...document.querySelectorAll("#runsList tr.run-item")];
      return rows.length >= 1 && rows.every((r) => r.getAttribute("data-run-id")!.startsWith(id));
    }, needle.slice(0, 8), { timeout: 5_000 });
    // Sorting by flow (click the column head) puts "bulk" before "needle_report".
    await page.fill("#fRunId", "");
    await page.click('th button[data-sort="flow_name"]');
    await page.waitForFunction(() => document.querySelector("#runsList tr.run-item .c-flow")?.textContent === "bulk", null, { timeout: 5_000 });
    await page.click('th button[data-sort="flow_name"]');   // descending
    await page.waitForFunction(() => document.querySelector("#runsList tr.run-item .c-flow")?.textContent === "needle_report", null, { timeout: 5_000 });
    // Opening it from the table shows its detail.
    await page.click(row(needle));
    await page.waitForFunction((id) => document.querySelector("#detailMeta")?.textContent?.includes(id), needle, { timeout: 10_000 });
    expect(await detailStatus(page)).toBe("PENDING");
    expect(problems).toEqual([]);
  }, 60_000);

  test("follows a run live to the end: status, timeline, task inputs and outputs, without a reload", async () => {
    const { page, problems, sameDocument } = await openDashboard();
    const runId = (await post("/runs", { flow_name: "add", params: { x: 41 } })).run_id as string;
    await page.waitForSelector(row(runId), { timeout: 20_000 });
    await page.click(row(runId));
    await waitDetailStatus(page, ["PENDING", "RUNNING", "COMPLETED"], 10_000);
    await waitDetailStatus(page, ["COMPLETED"], 40_000);
    await page.waitForSelector('#watchState[data-state="terminal"]', { timeout: 10_000 });
    await page.waitForSelector(`${row(runId)}.status-completed`, { timeout: 10_000 });
    expect(await page.isDisabled("#detailCancel")).toBe(true);
    // Timeline: one bar per task on the axis; task list with inputs and output.
    expect(await page.$$eval("#detailTimeline .tl-bar", (els) => els.length)).toBe(2);
    expect(await page.$$eval("#detailTasks .task-name", (els) => els.map((e) => e.textContent))).toEqual(["add_one", "to_text"]);
    await page.click('#detailTasks li[data-task="add_one"] summary');
    const body = await page.textContent('#detailTasks li[data-task="add_one"] .task-body');
    expect(body).toContain("42");
    // Human times: relative text, absolute time on hover.
    const started = await page.$eval("#detailFacts time", (el) => ({ text: el.textContent, title: el.getAttribute("title") }));
    expect(started.text).toMatch(/ago|now|sec/);
    expect(started.title).toMatch(/\d{2}:\d{2}:\d{2}/);
    // The original's "Flow recipe" card: what was submitted, in its shape.
    const recipe = JSON.parse((await page.textContent("#detailFlowJson"))!);
    expect(recipe).toMatchObject({ flow_name: "add", params: { x: 41 }, workflow_yaml: { available_in_snapshot: false, sha256: null, bytes: null } });
    expect(recipe.workflow_yaml.note).toContain("flow_name");
    expect(await sameDocument()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-1366x768-en-detail.png") });
    expect(problems).toEqual([]);
  }, 90_000);

  test("cancel asks first; 'keep running' changes nothing, confirming cancels (Japanese page)", async () => {
    const { page, problems } = await openDashboard({ lang: "ja" });
    const runId = (await post("/runs", { flow_name: "slow_coop", params: { seconds: 120 } })).run_id as string;
    await page.waitForSelector(row(runId), { timeout: 20_000 });
    await page.click(row(runId));
    await waitDetailStatus(page, ["RUNNING"], 30_000);
    expect((await page.textContent("#detailPanel .panel-head .badge"))?.trim()).toContain("実行中");
    expect((await page.textContent("#detailCancel"))?.trim()).toBe("ランをキャンセル");

    await page.click("#detailCancel");
    await page.waitForSelector("#confirmDialog[open]", { timeout: 5_000 });
    expect(await page.textContent("#confirmBody")).toContain(runId);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-1366x768-ja-cancel-confirm.png") });
    await page.click("#confirmNo");
    await page.waitForSelector("#confirmDialog:not([open])", { state: "attached", timeout: 5_000 });
    const still = await (await fetch(`${stack!.baseUrl}/runs/${runId}`)).json() as { status: string; cancel_requested_at?: number | null };
    expect(still.status).toBe("RUNNING");
    expect(still.cancel_requested_at ?? null).toBeNull();

    await page.click("#detailCancel");
    await page.waitForSelector("#confirmDialog[open]", { timeout: 5_000 });
    await page.click("#confirmYes");
    await waitDetailStatus(page, ["CANCELLING", "CANCELLED"], 15_000);
    await waitDetailStatus(page, ["CANCELLED"], 60_000);
    expect((await page.textContent("#detailPanel .panel-head .badge"))?.trim()).toContain("キャンセル済み");
    await page.waitForSelector('#watchState[data-state="terminal"]', { timeout: 10_000 });
    await page.waitForSelector(`${row(runId)}.status-cancelled`, { timeout: 10_000 });
    expect(await page.isDisabled("#detailCancel")).toBe(true);
    expect(problems).toEqual([]);
  }, 120_000);

  test("every word is Japanese on the ja page and English on the en page; the choice is remembered", async () => {
    const { page, problems } = await openDashboard({ lang: "ja" });
    expect(await page.getAttribute("html", "lang")).toBe("ja");
    expect(await page.textContent(".subtitle")).toContain("たのしい運用ルーム");
    expect((await page.textContent("#runsTitle"))?.trim()).toBe("ラン");
    expect(await englishLeaks(page)).toEqual([]);
    for (const view of ["dlq", "workers", "wheels", "schedules"]) {
      await page.click(`#tab-${view}`);
      await page.waitForSelector(`main.view-${view} .panel`, { timeout: 5_000 });
      await page.waitForFunction(() => (document.querySelector("main .panel-scroll")?.children.length ?? 0) > 0, null, { timeout: 10_000 });
      expect({ view, leaks: await englishLeaks(page) }).toEqual({ view, leaks: [] });
    }
    await page.click("#tab-workers");
    await page.waitForSelector("#workersList tr.worker-item", { timeout: 15_000 });
    expect(await englishLeaks(page)).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-1366x768-ja-workers.png") });

    await page.selectOption("#langSwitch", "en");
    await page.waitForFunction(() => document.documentElement.lang === "en", null, { timeout: 5_000 });
    expect(await page.evaluate(() => localStorage.getItem("pyoco.lang"))).toBe("en");
    const enText = await page.evaluate(() => document.body.innerText.replace("日本語", ""));
    expect(enText).not.toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
    await page.reload({ waitUntil: "domcontentloaded" });
    await page.waitForSelector("#workersList tr.worker-item", { timeout: 15_000 });
    expect(await page.inputValue("#langSwitch")).toBe("en");
    expect(problems).toEqual([]);
  }, 60_000);

  test("reads a run's task logs: stdout and stderr lines with their task, then the end of the log", async () => {
    const { page, problems } = await openDashboard({ lang: "ja" });
    const runId = (await post("/runs", { flow_name: "noisy", params: {} })).run_id as string;
    await page.waitForSelector(row(runId), { timeout: 20_000 });
    await page.click(row(runId));
    await page.waitForSelector("#logPane #logEnd", { timeout: 40_000 });
    const lines = await page.$$eval("#logPane .log-line", (els) => els.map((e) => ({
      cls: e.className, task: e.querySelector(".log-task")?.textContent, msg: e.querySelector(".log-msg")?.textContent,
    })));
    const out = lines.find((l) => l.msg?.includes("noisy-print"));
    const err = lines.find((l) => l.msg?.includes("noisy-stderr"));
    expect(out?.task).toBe("noisy");
    expect(out?.cls).toContain("stream-stdout");
    expect(err?.cls).toContain("stream-stderr");
    expect(await page.textContent("#logEnd")).toBe("ログの終わり");
    await waitDetailStatus(page, ["COMPLETED"], 10_000);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-1366x768-ja-logs.png") });
    expect(problems).toEqual([]);
  }, 90_000);

  test("requeues a DLQ group after a confirmation; its entries say which runs they became", async () => {
    const base = stack!.baseUrl;
    await Promise.all([1, 2, 3].map((n) => post("/runs", { flow_name: "boom", params: { n } })));
    const group = await waitFor(async () => {
      const g = await (await fetch(`${base}/dlq/groups`)).json() as DlqGroupList;
      return g.items.find((x) => x.flow_name === "boom" && x.count === 3) ?? null;
    }, { timeoutMs: 60_000, intervalMs: 200, what: "a DLQ group of 3 boom runs" });

    const { page, problems } = await openDashboard({ hash: "#view=dlq", waitRuns: false });
    const groupRow = `#dlqGroups tr.dlq-group[data-fingerprint="${group.fingerprint}"]`;
    await page.waitForSelector(groupRow, { timeout: 15_000 });
    expect((await page.textContent(`${groupRow} .dlq-count`))?.trim()).toBe("3");
    expect(await page.textContent(groupRow)).toContain("Execution error");
    // Selecting the group lists its entries only.
    await page.click(`${groupRow} td:first-child`);
    await page.waitForFunction(() => document.querySelectorAll("#dlqEntries tr.dlq-entry").length === 3, null, { timeout: 10_000 });

    await page.click(`${groupRow} .dlq-requeue-group`);
    await page.waitForSelector("#confirmDialog[open]", { timeout: 5_000 });
    expect(await page.textContent("#confirmBody")).toContain("3 entries of boom");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-1366x768-en-dlq-confirm.png") });
    await page.click("#confirmYes");
    await page.waitForFunction(() => [...document.querySelectorAll("#dlqPanel .note")].some((n) => n.textContent?.includes("Requeued 3")), null, { timeout: 15_000 });

    // The gateway made one new run per entry; the entries link to them.
    const entries = await (await fetch(`${base}/dlq?fingerprint=${group.fingerprint}&limit=500`)).json() as DlqPage;
    const requeued = entries.items.map((e) => e.requeued_run_id).filter((id): id is string => Boolean(id));
    expect(requeued.length).toBe(3);
    for (const id of requeued) expect((await fetch(`${base}/runs/${id}`)).status).toBe(200);
    await page.waitForFunction((n) => document.querySelectorAll('#dlqEntries a[href^="#run="]').length >= n, 3, { timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-1366x768-en-dlq.png") });
    await page.click('#dlqEntries a[href^="#run="]');
    await page.waitForSelector("#detailPanel #detailMeta", { timeout: 10_000 });
    expect(requeued.some((id) => page.url().includes(encodeURIComponent(id)))).toBe(true);
    expect(problems).toEqual([]);
  }, 90_000);

  test("Wheels panel: an uploaded wheel with its version and tags, and who uploaded it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pyoco-dash-wheel-"));
    try {
      const file = await buildWheel(dir, { name: "dash_demo", version: "1.2.0", modules: { "dash_demo/__init__.py": "X = 1\n" } });
      const bytes = new Uint8Array(await Bun.file(file).arrayBuffer());
      const res = await fetch(`${stack!.baseUrl}/wheels`, { method: "POST", body: wheelForm("dash_demo-1.2.0-py3-none-any.whl", bytes, { tags: "default,gpu" }), headers: { "user-agent": "e2e-uploader" } });
      expect(res.status).toBe(200);
      const { page, problems } = await openDashboard({ hash: "#view=wheels", waitRuns: false, lang: "ja" });
      const item = '#wheelsTable tr.wheel-item[data-wheel="dash_demo-1.2.0-py3-none-any.whl"]';
      await page.waitForSelector(item, { timeout: 15_000 });
      const text = await page.textContent(item);
      expect(text).toContain("dash_demo");
      expect(text).toContain("1.2.0");
      expect(text).toContain("gpu");
      await page.waitForSelector('#wheelHistoryTable tr.wheel-event[data-action="upload"]', { timeout: 15_000 });
      expect(await page.textContent('#wheelHistoryTable tr.wheel-event[data-action="upload"]')).toContain("アップロード");
      expect(await page.textContent('#wheelHistoryTable tr.wheel-event[data-action="upload"]')).toContain("127.0.0.1");
      // each worker's sync state is listed
      await page.waitForSelector('#wheelsWorkers li.wsync-item[data-worker-id="stack-worker"]', { timeout: 15_000 });
      expect(await englishLeaks(page)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "dashboard-1366x768-ja-wheels.png") });
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("Wheels panel per worker: what a syncing worker installed and what it skipped as incompatible", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pyoco-dash-wsync-"));
    // its own tag, so the other tests' workers and wheels are not involved
    const worker = await startWorker({ natsUrl: stack!.natsUrl, tags: ["wsync"], workerId: "dash-wheel-worker",
      args: ["--wheel-sync", "--wheel-sync-dir", join(dir, "sync"), "--wheel-sync-interval-sec", "0.3"] });
    try {
      const upload = async (version: string, tag?: string) => {
        const file = await buildWheel(dir, { name: "dash_sync", version, tag, modules: { "dash_sync/__init__.py": `V = "${version}"\n` } });
        const res = await fetch(`${stack!.baseUrl}/wheels`, { method: "POST", body: wheelForm(file.split("/").pop()!, readFileSync(file), { tags: "wsync" }) });
        expect(res.status).toBe(200);
      };
      await upload("1.0.0");
      await upload("2.0.0", "cp27-cp27m-win_amd64");   // never installable here
      const { page, problems } = await openDashboard({ hash: "#view=wheels", waitRuns: false });
      const item = '#wheelsWorkers li.wsync-item[data-worker-id="dash-wheel-worker"]';
      await page.waitForFunction((sel) => {
        const el = document.querySelector(sel);
        return !!el && (el.textContent ?? "").includes("dash-sync 1.0.0") && (el.textContent ?? "").includes("win_amd64");
      }, item, { timeout: 90_000 });
      expect(await page.textContent(`${item} .wsync-state`)).toBe("in sync");
      await page.screenshot({ path: join(ARTIFACTS, "dashboard-1366x768-en-wheels.png") });
      // the same state on the Workers section
      await page.click("#tab-workers");
      await page.waitForSelector('#workersList tr.worker-item[data-worker-id="dash-wheel-worker"] .wsync-state[data-result="ok"]', { timeout: 15_000 });
      expect(await page.textContent('#workersList tr.worker-item[data-worker-id="dash-wheel-worker"] .wsync')).toContain("1 installed · 1 skipped");
      expect(problems).toEqual([]);
    } finally {
      await worker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  test("Schedules panel: next fire, the last run with its status, pause and resume", async () => {
    const form = new FormData();
    form.append("workflow", new File([readFileSync(join(import.meta.dir, "../fixtures/flows/add-one-to-text.yaml"))], "flow.yaml"));
    form.append("flow_name", "main");
    form.append("tag", "default");
    form.append("interval_seconds", "2");
    const created = await (await fetch(`${stack!.baseUrl}/schedules/yaml`, { method: "POST", body: form })).json() as { schedule_id: string };
    const id = created.schedule_id;
    try {
      const { page, problems } = await openDashboard({ hash: "#view=schedules", waitRuns: false });
      const item = `#schedulesTable tr.schedule-item[data-schedule-id="${id}"]`;
      await page.waitForSelector(item, { timeout: 15_000 });
      expect(await page.textContent(item)).toContain("Every 2 s");
      // once it has fired: the last run links to the run and shows its status
      await page.waitForSelector(`${item} a[href^="#run="] + .badge, ${item} a[href^="#run="] ~ .badge`, { timeout: 30_000 });
      expect(await page.$eval(`${item} .sched-next time`, (el) => el.getAttribute("title"))).toMatch(/\d{2}:\d{2}:\d{2}/);

      await page.click(`${item} .sched-toggle`);
      await page.waitForFunction((sel) => document.querySelector(`${sel} .sched-status`)?.textContent === "Paused", item, { timeout: 10_000 });
      expect(((await (await fetch(`${stack!.baseUrl}/schedules/${id}`)).json()) as { status: string }).status).toBe("PAUSED");
      expect((await page.textContent(`${item} .sched-toggle`))?.trim()).toBe("Resume");
      await page.screenshot({ path: join(ARTIFACTS, "dashboard-1366x768-en-schedules.png") });
      await page.click(`${item} .sched-toggle`);
      await page.waitForFunction((sel) => document.querySelector(`${sel} .sched-status`)?.textContent === "Active", item, { timeout: 10_000 });
      expect(((await (await fetch(`${stack!.baseUrl}/schedules/${id}`)).json()) as { status: string }).status).toBe("ACTIVE");
      expect(problems).toEqual([]);
    } finally {
      await fetch(`${stack!.baseUrl}/schedules/${id}`, { method: "DELETE" });
    }
  }, 60_000);

  test("on a gateway without DLQ, logs, wheels and schedules the panels say 'not available', no error", async () => {
    // The round-1 route set: the endpoints of the newer panels answer 404 here, whatever main has.
    const older = await startTestGateway(stack!.natsUrl, {}, { routes: [metricsRoutes, watchRoutes, workersRoutes, queuesRoutes, dashboardRoutes] });
    try {
      const runId = (await post("/runs", { flow_name: "main", params: {} })).run_id as string;
      const { page, problems } = await openDashboard({ baseUrl: older.baseUrl, hash: `#run=${runId}` });
      await page.waitForFunction(() => (document.querySelector("#detailLogs .note-unavailable")?.textContent ?? "").includes("Task logs are not available"), null, { timeout: 10_000 });
      for (const [view, text] of [["dlq", "dead-letter queue is not available"], ["wheels", "wheel registry is not available"], ["schedules", "Schedules are not available"]] as const) {
        await page.click(`#tab-${view}`);
        await page.waitForFunction((t) => (document.querySelector("main .note-unavailable")?.textContent ?? "").includes(t), text, { timeout: 10_000 });
      }
      expect((await page.textContent("#errorLine"))?.trim()).toBe("");
      expect(problems).toEqual([]);
    } finally {
      await older.stop();
    }
  }, 30_000);

  test("an API-key gateway: the page asks for a key, says when it is refused, and works once given", async () => {
    const locked = await startTestGateway(stack!.natsUrl, { authMode: "api_key" });
    try {
      const { record, apiKey } = generateApiKey("team-e2e", null, Date.now() / 1000);
      await locked.js.apiKeys.create(apiKeyKvKey(record.key_id), record);
      const { page, problems } = await openDashboard({ baseUrl: locked.baseUrl, waitRuns: false });
      await page.waitForSelector("#authDialog[open]", { timeout: 15_000 });
      expect(await page.textContent("#authDialog")).toContain("API key required");
      // nothing raw on the page: no `{"detail":…}` body
      expect(await page.evaluate(() => document.body.innerText)).not.toContain('{"detail"');
      await page.screenshot({ path: join(ARTIFACTS, "dashboard-1366x768-en-apikey.png") });

      await page.fill("#apiKey", "pyoco_nope.nope");
      await page.click("#saveAuth");
      await page.waitForSelector("#authDialog[open] #authRefused", { timeout: 15_000 });

      await page.fill("#apiKey", apiKey);
      await page.click("#saveAuth");
      await page.waitForSelector("#authDialog:not([open])", { state: "attached", timeout: 10_000 });
      // The key's tenant has no runs yet: an empty table, no error; its run shows up live.
      await page.waitForSelector("#runsPanel:not(.is-loading)", { timeout: 15_000 });
      const res = await fetch(`${locked.baseUrl}/runs`, { method: "POST", headers: { "content-type": "application/json", "X-API-Key": apiKey }, body: JSON.stringify({ flow_name: "main", params: {} }) });
      const { run_id } = await res.json() as { run_id: string };
      await page.waitForSelector(row(run_id), { timeout: 20_000 });
      expect(await page.evaluate(() => localStorage.getItem("pyoco.auth_key"))).toBe(apiKey);
      expect((await page.textContent("#errorLine"))?.trim()).toBe("");
      expect(problems).toEqual([]);
    } finally {
      await locked.stop();
    }
  }, 60_000);

  test("phone 390x844: compact rows, no horizontal scroll, detail replaces the list (both languages)", async () => {
    const runId = (await post("/runs", { flow_name: "main", params: {} })).run_id as string;
    for (const lang of ["en", "ja"] as const) {
      const { page, problems } = await openDashboard({ viewport: PHONE, lang });
      await page.waitForSelector(row(runId), { timeout: 20_000 });
      // compact: tag/worker/started cells are hidden, status/flow/updated are shown
      expect(await page.isVisible(`${row(runId)} .c-flow`)).toBe(true);
      expect(await page.isVisible(`${row(runId)} .c-worker`)).toBe(false);
      const phoneRows = await visibleRowCount(page);
      expect(phoneRows).toBeGreaterThanOrEqual(8);
      if (lang === "en") console.log(`dashboard: ${phoneRows} run rows fully visible at 390x844`);
      const noHScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
      expect(await noHScroll()).toBe(true);
      // every section tab is whole on screen (none hidden behind a sideways scroll)
      const tabs = page.locator("nav.tabs a");
      expect(await tabs.count()).toBe(5);
      for (let i = 0; i < 5; i++) {
        const box = await tabs.nth(i).boundingBox();
        expect(box, `tab ${i}`).not.toBeNull();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width, `tab ${await tabs.nth(i).textContent()}`).toBeLessThanOrEqual(PHONE.width + 1);
      }
      await page.screenshot({ path: join(ARTIFACTS, `dashboard-390x844-${lang}-runs.png`) });
      // finding one run among 1,000 works the same on a phone
      await page.fill("#fRunId", "needle");
      await page.waitForFunction((id) => {
        const rows = document.querySelectorAll("#runsList tr.run-item");
        return rows.length === 1 && rows[0]!.getAttribute("data-run-id") === id;
      }, needle, { timeout: 5_000 });
      await page.fill("#fRunId", "");

      await page.click(row(runId));
      await waitDetailStatus(page, ["COMPLETED"], 30_000);
      expect(await page.isVisible("#runsPanel")).toBe(false);
      expect(await page.isVisible("#detailBack")).toBe(true);
      expect(await noHScroll()).toBe(true);
      for (const sel of ["#detailCancel", "#detailBack", "#langSwitch", "#authOpen"]) {
        const box = await page.locator(sel).boundingBox();
        expect(box, sel).not.toBeNull();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width + 1);
      }
      await page.screenshot({ path: join(ARTIFACTS, `dashboard-390x844-${lang}-detail.png`) });
      await page.click("#detailBack");
      await page.waitForSelector("#runsPanel", { state: "visible", timeout: 5_000 });
      // the other sections fit the phone too (wide tables scroll inside their card)
      for (const view of ["dlq", "workers"]) {
        await page.click(`#tab-${view}`);
        await page.waitForSelector(`main.view-${view} .card`, { timeout: 15_000 });
        expect(await noHScroll()).toBe(true);
        await page.screenshot({ path: join(ARTIFACTS, `dashboard-390x844-${lang}-${view}.png`) });
      }
      expect(problems).toEqual([]);
    }
  }, 90_000);
});
