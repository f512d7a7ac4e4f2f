/**
 * Fault suite, hostile input (issue 10): a gateway process (`pyoco up`, real nats-server) gets a
 * corpus of 5,000 hostile requests (tests/faults/fuzz-corpus.ts: the known attack cases plus
 * random requests against every documented route), 16 at a time; a second one in api_key mode
 * gets 1,500 more with forged keys (wrong secrets for a real key id, unknown key ids). Expected: no answer >= 500
 * other than 503, the gateway alive, still ready and serving, and its RSS back under 250 MB.
 * PYOCO_FUZZ_SEED replays another corpus (the seed is printed on failure).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../../src/lib/async.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { freePort } from "../helpers/ports.ts";
import { REPO_ROOT } from "../helpers/worker.ts";
import { apiKeyKvKey, generateApiKey } from "../../src/domain/api-key.ts";
import { PyocoJetStream } from "../../src/jetstream/index.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { testSettings } from "../helpers/settings.ts";
import { buildCorpus, rng, type FuzzRequest } from "./fuzz-corpus.ts";

const CORPUS_SIZE = 5000;
const CONCURRENCY = 16;
const MAX_BODY = 1_048_576;          // the default PYOCO_HTTP_MAX_BODY_BYTES
const RSS_LIMIT_BYTES = 250 * 1024 * 1024;
/** What answers without a key in api_key mode: probes, the API description, the dashboard's page and files. */
const PUBLIC_PATH = /^\/(health(\/ready)?|openapi\.json|docs|dashboard.*|static\/.*|favicon\.ico|)$/;
const SEED = Number(process.env.PYOCO_FUZZ_SEED ?? 20261130);

interface SpawnedGateway { proc: ReturnType<typeof Bun.spawn>; baseUrl: string; log(): string }

/** `pyoco up` as its own process (so its RSS is its own), with extra PYOCO_* settings. */
async function spawnGateway(extraEnv: Record<string, string> = {}): Promise<SpawnedGateway> {
  const port = freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PYOCO_")) env[k] = v;
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "up", "--host", "127.0.0.1", "--port", String(port), "--nats-url", nats.url], {
    cwd: REPO_ROOT, env: { ...env, PYOCO_LOAD_DOTENV: "0", PYOCO_LOG_LEVEL: "ERROR", ...extraEnv }, stdout: "pipe", stderr: "pipe",
  });
  let log = "";
  for (const out of [proc.stdout, proc.stderr] as ReadableStream<Uint8Array>[]) {
    void (async () => { for await (const chunk of out) log = (log + new TextDecoder().decode(chunk)).slice(-20_000); })();
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${baseUrl}/health/ready`).catch(() => null))?.status === 200, { timeoutMs: 20_000, what: "gateway ready" });
  return { proc, baseUrl, log: () => log };
}

let nats: NatsServer;
let open: SpawnedGateway;
let keyed: SpawnedGateway;

beforeAll(async () => {
  nats = await startNatsServer();
  [open, keyed] = await Promise.all([spawnGateway(), spawnGateway({ PYOCO_HTTP_AUTH_MODE: "api_key" })]);
});

afterAll(async () => {
  for (const gw of [open, keyed]) gw?.proc.kill("SIGTERM");
  await Promise.race([Promise.all([open?.proc.exited, keyed?.proc.exited]), Bun.sleep(5000)]);
  for (const gw of [open, keyed]) gw?.proc.kill("SIGKILL");
  await nats?.stop();
});

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) * 1024;
}

interface Outcome { req: FuzzRequest; status: number; detail: string }

async function send(baseUrl: string, req: FuzzRequest): Promise<Outcome> {
  try {
    const res = await fetch(baseUrl + req.target, {
      method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(15_000), duplex: "half",
    } as RequestInit);
    const text = await res.text();
    return { req, status: res.status, detail: text.slice(0, 200) };
  } catch (err) {
    return { req, status: 0, detail: String(err).slice(0, 200) };   // no answer (connection closed or timed out)
  }
}

async function routesOf(gw: SpawnedGateway): Promise<{ method: string; path: string }[]> {
  const doc = await (await fetch(`${gw.baseUrl}/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method, path })));
}

/** Send the corpus 16 at a time; assert no 5xx but 503, every request answered, gateway alive and ready. */
async function fuzz(gw: SpawnedGateway, corpus: FuzzRequest[], label: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  let peakRss = 0;
  const sampler = setInterval(() => { try { peakRss = Math.max(peakRss, rssBytes(gw.proc.pid)); } catch { /* exited */ } }, 200);
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < corpus.length) outcomes.push(await send(gw.baseUrl, corpus[next++]!));
  }));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;

  const describe = (o: Outcome) => `${o.req.kind}: ${o.req.method} ${o.req.target.slice(0, 120)} → ${o.status} ${o.detail}`;
  const serverErrors = outcomes.filter((o) => o.status >= 500 && o.status !== 503).map(describe);
  // A 413 may reach the client as a closed connection while it is still sending a huge body; any
  // other request must get an answer.
  const unanswered = outcomes.filter((o) => o.status === 0 && !o.req.kind.startsWith("big-")).map(describe);
  const byStatus: Record<number, number> = {};
  for (const o of outcomes) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
  console.log(`fuzz ${label}, seed ${SEED}: ${outcomes.length} requests in ${seconds.toFixed(1)} s, statuses ${JSON.stringify(byStatus)}, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB`);
  if (serverErrors.length || unanswered.length) console.log(`seed ${SEED}; gateway log tail:\n${gw.log().slice(-4000)}`);

  expect(serverErrors).toEqual([]);
  expect(unanswered).toEqual([]);
  expect(gw.proc.exitCode).toBeNull();
  expect((await fetch(`${gw.baseUrl}/health/ready`)).status).toBe(200);
  const rss = await waitFor(() => { const r = rssBytes(gw.proc.pid); return r < RSS_LIMIT_BYTES ? r : null; }, { timeoutMs: 30_000, intervalMs: 250, what: "gateway RSS under 250 MB" });
  console.log(`gateway RSS after the corpus: ${(rss / 2 ** 20).toFixed(0)} MB`);
  return outcomes;
}

test("5,000 hostile requests: no 5xx but 503, gateway healthy, RSS back under 250 MB", async () => {
  const routes = await routesOf(open);
  expect(routes.length).toBeGreaterThan(5);
  const corpus = buildCorpus({ seed: SEED, size: CORPUS_SIZE, routes, maxBodyBytes: MAX_BODY });
  expect(corpus.length).toBe(CORPUS_SIZE);
  await fuzz(open, corpus, "auth off");
  const ok = await fetch(`${open.baseUrl}/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ flow_name: "after-fuzz" }) });
  expect(ok.status).toBe(200);
}, 120_000);

test("1,500 hostile requests with forged API keys (api_key mode): same bounds; a verified key keeps working", async () => {
  const js = await PyocoJetStream.connect(testSettings(nats.url), { name: "fuzz-admin", log: silentLogger });
  const { record, apiKey } = generateApiKey("fuzz-team", null, Date.now() / 1000);
  try { await js.apiKeys.put(apiKeyKvKey(record.key_id), record); } finally { await js.close(); }
  const asUser = () => fetch(`${keyed.baseUrl}/runs`, { headers: { "X-API-Key": apiKey } });
  expect((await asUser()).status).toBe(200);

  const rand = rng(SEED + 1);
  const forged = () => rand() < 0.5
    ? `${apiKey.slice(0, apiKey.indexOf(".") + 1)}${crypto.randomUUID().replaceAll("-", "")}`     // the real key id, a wrong secret
    : `pyoco_${crypto.randomUUID().replaceAll("-", "").slice(0, 8 + Math.floor(rand() * 20))}.${"s".repeat(16 + Math.floor(rand() * 40))}`;
  const corpus = buildCorpus({ seed: SEED + 2, size: 1500, routes: await routesOf(keyed), maxBodyBytes: MAX_BODY })
    .map((req) => ({ ...req, headers: { ...req.headers, "X-API-Key": forged() } }));
  const outcomes = await fuzz(keyed, corpus, "api_key mode");
  // Forged keys never open data: only the public pages answer 2xx.
  const opened = outcomes.filter((o) => o.status >= 200 && o.status < 300).map((o) => `${o.req.method} ${new URL(o.req.target, "http://x").pathname}`);
  console.log(`2xx with forged keys: ${[...new Set(opened)].join(", ")}`);
  expect(opened.filter((p) => !PUBLIC_PATH.test(p.split(" ")[1]!))).toEqual([]);
  expect((await asUser()).status).toBe(200);
}, 120_000);

test("four 100 MB bodies at once and a 130 MB chunked one: 413, and the gateway's RSS stays low", async () => {
  let peak = rssBytes(open.proc.pid);
  const sampler = setInterval(() => { try { peak = Math.max(peak, rssBytes(open.proc.pid)); } catch { /* exited */ } }, 20);
  const body = new Uint8Array(100 * 1024 * 1024).fill(0x20);
  const post = (b: BodyInit) => fetch(`${open.baseUrl}/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: b, duplex: "half" } as RequestInit)
    .then((r) => r.status, () => 0);
  const declared = await Promise.all(Array.from({ length: 4 }, () => post(body)));
  const chunk = new Uint8Array(1 << 20).fill(0x20);
  const chunked = await post(new ReadableStream<Uint8Array>({ start(c) { for (let i = 0; i < 130; i++) c.enqueue(chunk); c.close(); } }));
  clearInterval(sampler);
  console.log(`huge bodies: ${JSON.stringify(declared)} ${chunked}; gateway peak RSS ${(peak / 2 ** 20).toFixed(0)} MB`);
  expect(declared).toEqual([413, 413, 413, 413]);
  expect(chunked).toBe(413);
  expect(peak).toBeLessThan(RSS_LIMIT_BYTES);
}, 60_000);
