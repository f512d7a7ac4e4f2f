/**
 * `GET /docs` in real Chromium: the API reference is rendered from the gateway's own
 * /openapi.json, lists every operation with its bodies, and loads nothing from anywhere else.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chromium, type Browser } from "playwright-core";
import { gatewayForFile } from "../helpers/gateway.ts";

const CHROMIUM = process.env.PYOCO_CHROMIUM ?? "/usr/bin/chromium";
const file = gatewayForFile();
let browser: Browser | undefined;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"] });
}, 60_000);
afterAll(async () => { await browser?.close().catch(() => {}); });

test("/docs renders every operation of /openapi.json from the binary alone", async () => {
  const doc = await (await fetch(`${file.gw.baseUrl}/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
  const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).filter((m) => ["get", "post", "put", "patch", "delete"].includes(m)).length, 0);

  const ctx = await browser!.newContext();
  const page = await ctx.newPage();
  const origins = new Set<string>();
  const problems: string[] = [];
  page.on("request", (r) => { if (!r.url().startsWith("data:")) origins.add(new URL(r.url()).origin); });
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  try {
    await page.goto(`${file.gw.baseUrl}/docs#post_runs`);
    await page.waitForSelector("#content[data-ready]", { timeout: 15_000 });
    expect(await page.getAttribute("#content", "data-ready")).toBe(String(operations));
    expect(await page.locator("details.op").count()).toBe(operations);
    // The operation named in the fragment is open and shows its request body's fields.
    const submit = page.locator("details#post_runs");
    expect(await submit.getAttribute("open")).not.toBeNull();
    const text = await submit.innerText();
    for (const part of ["flow_name", "params", "tags", "REQUEST BODY", "200", "run_id"]) expect(text).toContain(part);
    expect(await page.locator('details.op[data-path="/runs/{run_id}/cancel"][data-method="post"]').count()).toBe(1);
    expect([...origins]).toEqual([file.gw.baseUrl]);
    expect(problems).toEqual([]);
  } finally { await ctx.close(); }
}, 60_000);
