/**
 * Dashboard end-to-end test: real nats-server, real gateway, real worker with the Pyoco test
 * double (tests/helpers/stack.ts), driven through real Chromium with playwright-core.
 * No mocks. Waits are condition waits with deadlines, never bare sleeps.
 *
 * Covers (http-contract.md §6, issue "Live operations…" and the dashboard part of "Cancel…"):
 *  1. a submitted run appears in the list (live delta poll) and its detail follows the SSE watch
 *     to COMPLETED without a reload;
 *  2. hiding a worker removes it from the list, "show hidden" brings it back (then unhide);
 *  3. the in-page language switch flips texts between en and ja and is remembered;
 *  4. the cancel button takes a running `slow_coop` run to CANCELLED, visible in the detail;
 *  5. screenshots at 390×844 and 1366×768 land in tests/artifacts/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startStack } from "../helpers/stack.ts";

type Stack = Awaited<ReturnType<typeof startStack>>;

const CHROMIUM = process.env.PYOCO_CHROMIUM ?? "/usr/bin/chromium";
const LAUNCH_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
];
const ARTIFACTS = join(import.meta.dir, "..", "artifacts");

const DESKTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };

let stack: Stack | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
}, 180_000);

afterAll(async () => {
  for (const ctx of contexts) await ctx.close().catch(() => {});
  await browser?.close().catch(() => {});
  await stack?.stop();
}, 60_000);

interface OpenPage {
  page: Page;
  /** uncaught page errors and failed same-origin asset loads */
  problems: string[];
  /** true while the document loaded by openDashboard is still the one shown (no reload happened) */
  sameDocument: () => Promise<boolean>;
}

/** A fresh context (own localStorage) with the dashboard loaded and its first runs fetch done. */
async function openDashboard(viewport = DESKTOP, opts: { lang?: "en" | "ja" } = {}): Promise<OpenPage> {
  // reduced motion: selecting a run on the phone scrolls the detail into view instantly
  const ctx = await browser!.newContext({ viewport, colorScheme: "light", reducedMotion: "reduce" });
  contexts.push(ctx);
  if (opts.lang) {
    // only a first-visit default: a choice made in the page (and a reload after it) must win
    await ctx.addInitScript((l) => {
      try { if (!localStorage.getItem("pyoco.lang")) localStorage.setItem("pyoco.lang", l); } catch { /* ignore */ }
    }, opts.lang);
  }
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("response", (r) => {
    if (r.url().includes("/static/") && r.status() >= 400) problems.push(`asset ${r.url()} -> ${r.status()}`);
  });
  await page.goto(`${stack!.baseUrl}/`, { waitUntil: "domcontentloaded" });
  // the first runs load has finished once the list shows rows, an empty note or an error
  await page.waitForFunction(() => {
    const ul = document.querySelector("#runsList");
    return !!ul && ul.children.length > 0 && !document.querySelector("#runsPanel.is-loading");
  }, null, { timeout: 20_000 });
  await page.evaluate(() => { (window as unknown as { __e2eMarker?: number }).__e2eMarker = 1; });
  const sameDocument = () => page.evaluate(() => (window as unknown as { __e2eMarker?: number }).__e2eMarker === 1);
  return { page, problems, sameDocument };
}

function runItem(runId: string): string {
  return `#runsList li.run-item[data-run-id="${runId}"]`;
}

async function detailStatus(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const txt = document.querySelector("#detailJson")?.textContent ?? "";
    try { return (JSON.parse(txt) as { status?: string }).status ?? null; } catch { return null; }
  });
}

async function waitDetailStatus(page: Page, statuses: string[], timeout = 30_000): Promise<void> {
  await page.waitForFunction((wanted) => {
    const txt = document.querySelector("#detailJson")?.textContent ?? "";
    return wanted.some((s) => txt.includes(`"status": "${s}"`));
  }, statuses, { timeout });
}

describe("dashboard (real gateway + worker + Chromium)", () => {
  test("page shell: title, heading, assets and injected language", async () => {
    const { page, problems } = await openDashboard();
    expect(await page.title()).toBe("Pyoco Dashboard");
    expect((await page.textContent("h1"))?.trim()).toBe("Pyoco Control Deck");
    const injected = await page.evaluate(() => (window as unknown as { __PYOCO_DASHBOARD_LANG__?: string }).__PYOCO_DASHBOARD_LANG__);
    expect(["en", "ja"]).toContain(injected ?? "");
    expect(await page.getAttribute("html", "lang")).toBe(injected ?? "");
    // the stylesheet is applied (custom property from styles.css)
    const accent = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--accent").trim());
    expect(accent.length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  test("a submitted run appears live in the list and its detail goes to COMPLETED without reload", async () => {
    const { page, problems, sameDocument } = await openDashboard();

    // (a) quick flow: appears through the 2 s delta poll, detail shows COMPLETED
    const quick = await stack!.submit("main", {});
    await page.waitForSelector(runItem(quick), { timeout: 20_000 });
    await page.click(runItem(quick));
    await waitDetailStatus(page, ["COMPLETED"], 30_000);
    expect(await page.textContent("#detailJson")).toContain(`"run_id": "${quick}"`);
    // task records are rendered readably (hello >> world)
    await page.waitForFunction(() => document.querySelectorAll("#detailTasks li.task-item").length >= 2, null, { timeout: 10_000 });
    const taskNames = await page.$$eval("#detailTasks .task-name", (els) => els.map((e) => e.textContent?.trim()));
    expect(taskNames).toEqual(expect.arrayContaining(["hello", "world"]));
    await page.waitForSelector(`${runItem(quick)}.status-completed`, { timeout: 10_000 });

    // (b) a run that is still in flight when selected: the SSE watch carries it to COMPLETED
    const slow = await stack!.submit("sleepy", { seconds: 3 });
    await page.waitForSelector(runItem(slow), { timeout: 20_000 });
    await page.click(runItem(slow));
    await page.waitForFunction((id) => (document.querySelector("#detailJson")?.textContent ?? "").includes(`"run_id": "${id}"`), slow, { timeout: 10_000 });
    const first = await detailStatus(page);
    expect(["PENDING", "RUNNING"]).toContain(first ?? "");
    await page.waitForSelector('#watchState[data-state="streaming"]', { timeout: 15_000 });
    await waitDetailStatus(page, ["COMPLETED"], 40_000);
    await page.waitForSelector('#watchState[data-state="terminal"]', { timeout: 10_000 });
    expect(await page.isDisabled("#detailCancel")).toBe(true);
    expect(await sameDocument()).toBe(true); // no reload happened
    expect(problems).toEqual([]);
  }, 120_000);

  test("hide removes a worker from the list; include hidden brings it back", async () => {
    const { page, problems } = await openDashboard();
    await page.waitForSelector("#workersList li.worker-item .worker-state", { timeout: 20_000 });
    const workerId = await page.getAttribute("#workersList li.worker-item", "data-worker-id");
    expect(workerId).toBeTruthy();
    const item = `#workersList li.worker-item[data-worker-id="${workerId}"]`;
    // a live worker has a running/idle badge
    const stateClass = await page.getAttribute(`${item} .worker-state`, "class");
    expect(stateClass).toMatch(/\b(running|idle)\b/);

    await page.click(`${item} .worker-toggle-hidden`);
    await page.waitForSelector(item, { state: "detached", timeout: 15_000 });

    await page.check("#wIncludeHidden");
    await page.waitForSelector(`${item} .chip-hidden`, { timeout: 15_000 });

    // unhide again so the rest of the suite (and other tests) see the normal list
    await page.click(`${item} .worker-toggle-hidden`);
    await page.waitForSelector(`${item}:not(.is-hidden)`, { timeout: 15_000 });
    await page.uncheck("#wIncludeHidden");
    await page.waitForSelector(item, { timeout: 15_000 });

    // KPI tiles come from /metrics and become numeric
    await page.waitForFunction(() => ["#kpiRunning", "#kpiCompletedToday", "#kpiFailedToday"]
      .every((sel) => /^\d[\d,]*$/.test(document.querySelector(sel)?.textContent?.trim() ?? "")), null, { timeout: 20_000 });
    expect(problems).toEqual([]);
  }, 90_000);

  test("the language switch flips texts between en and ja and is remembered", async () => {
    const { page, problems } = await openDashboard(DESKTOP, { lang: "en" });
    expect(await page.getAttribute("html", "lang")).toBe("en");
    expect(await page.textContent(".subtitle")).toContain("Live operations");
    expect((await page.textContent("#runsTitle"))?.trim()).toBe("Runs");

    await page.selectOption("#langSwitch", "ja");
    await page.waitForFunction(() => document.documentElement.lang === "ja", null, { timeout: 5_000 });
    expect(await page.textContent(".subtitle")).toContain("たのしい運用ルーム");
    expect((await page.textContent("#runsTitle"))?.trim()).toBe("ラン");
    expect(await page.getAttribute("#fTag", "placeholder")).not.toBe("exact tag");
    expect((await page.textContent("h1"))?.trim()).toBe("Pyoco Control Deck"); // not translated
    expect(await page.evaluate(() => localStorage.getItem("pyoco.lang"))).toBe("ja");

    // the stored choice wins over the server default after a reload
    await page.reload({ waitUntil: "domcontentloaded" });
    await page.waitForFunction(() => document.documentElement.lang === "ja", null, { timeout: 10_000 });
    expect(await page.inputValue("#langSwitch")).toBe("ja");
    expect(await page.textContent(".subtitle")).toContain("たのしい運用ルーム");

    await page.selectOption("#langSwitch", "en");
    await page.waitForFunction(() => document.documentElement.lang === "en", null, { timeout: 5_000 });
    expect(await page.textContent(".subtitle")).toContain("Live operations");
    expect(problems).toEqual([]);
  }, 60_000);

  test("the cancel button takes a running slow_coop run to CANCELLED", async () => {
    const { page, problems } = await openDashboard();
    const runId = await stack!.submit("slow_coop", { seconds: 120 });
    await page.waitForSelector(runItem(runId), { timeout: 20_000 });
    await page.click(runItem(runId));
    await waitDetailStatus(page, ["RUNNING"], 30_000);
    await page.waitForSelector("#detailCancel:not([disabled])", { timeout: 10_000 });
    expect((await page.textContent("#detailCancel"))?.trim()).toBe("Cancel run");

    await page.click("#detailCancel");
    // immediately after the click the button can no longer be used
    await page.waitForSelector("#detailCancel[disabled]", { timeout: 5_000 });
    await waitDetailStatus(page, ["CANCELLING", "CANCELLED"], 15_000);
    const mid = await detailStatus(page);
    if (mid === "CANCELLING") expect((await page.textContent("#detailCancel"))?.trim()).toBe("Cancelling...");

    // the watch carries the run on to CANCELLED without a reload
    await waitDetailStatus(page, ["CANCELLED"], 60_000);
    await page.waitForSelector('#watchState[data-state="terminal"]', { timeout: 10_000 });
    await page.waitForSelector(`${runItem(runId)}.status-cancelled`, { timeout: 10_000 });
    expect(await page.isDisabled("#detailCancel")).toBe(true);
    expect(await page.textContent("#detailMeta")).toContain(runId);
    expect(problems).toEqual([]);
  }, 120_000);

  test("screenshots at 390x844 and 1366x768; no horizontal scroll on the phone", async () => {
    const runId = await stack!.submit("main", {});
    for (const [name, viewport] of [["390x844", PHONE], ["1366x768", DESKTOP]] as const) {
      const { page, problems } = await openDashboard(viewport);
      await page.waitForSelector(runItem(runId), { timeout: 20_000 });
      await page.click(runItem(runId));
      await waitDetailStatus(page, ["COMPLETED"], 30_000);
      await page.waitForSelector("#workersList li.worker-item", { timeout: 20_000 });
      if (viewport === PHONE) {
        // on a phone the selection brought the detail panel into view
        const top = await page.evaluate(() => document.querySelector("#detailPanel")!.getBoundingClientRect().top);
        expect(Math.abs(top)).toBeLessThan(5);
        await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}-detail.png`) });
      }
      await page.evaluate(() => window.scrollTo(0, 0));
      const path = join(ARTIFACTS, `dashboard-${name}.png`);
      await page.screenshot({ path });
      await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}-full.png`), fullPage: true });
      expect(await Bun.file(path).exists()).toBe(true);
      expect(Bun.file(path).size).toBeGreaterThan(10_000);
      const [scrollW, clientW] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      expect(scrollW).toBeLessThanOrEqual(clientW);
      // the key controls are on screen / reachable at this size
      for (const sel of ["#saveAuth", "#langSwitch", "#runsFilters button[type=submit]", "#detailCancel", "#wIncludeHidden"]) {
        const box = await page.locator(sel).boundingBox();
        expect(box, sel).not.toBeNull();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width + 1);
      }
      expect(problems).toEqual([]);
    }
  }, 120_000);
});
