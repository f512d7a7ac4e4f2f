/**
 * A real, listening gateway for tests, on 127.0.0.1 and a free port, over a given NATS:
 *   const gw = await startTestGateway(nats.url);            // index replay finished
 *   await fetch(`${gw.baseUrl}/runs`, …);                  // over the socket
 *   const r = await gw.call("POST", "/runs", { json: { flow_name: "main" } });  // in-process; r.status, r.json
 *   await gw.stop();
 * `overrides` are settings (camelCase, see src/config/settings.ts); `opts.routes` replaces the
 * registered route plugins (default: every plugin in EXTRA_ROUTES).
 */
import { afterAll, beforeAll } from "bun:test";
import type { SettingOverrides } from "../../src/config/index.ts";
import { startGateway, type Authenticator, type GatewayApp, type GatewayDeps, type RoutePlugin } from "../../src/gateway/index.ts";
import type { PyocoJetStream } from "../../src/jetstream/index.ts";
import type { Clock } from "../../src/lib/clock.ts";
import { createLogger, silentLogger, type Logger } from "../../src/lib/log.ts";
import { startNatsServer, type NatsServer } from "./nats-server.ts";
import { testSettings } from "./settings.ts";

export interface TestGateway {
  baseUrl: string;
  app: GatewayApp;
  js: PyocoJetStream;
  deps: GatewayDeps;
  /** One request through app.handle (no socket); `json` is the parsed body when it is JSON. */
  call(method: string, path: string, init?: CallInit): Promise<CallResult>;
  stop(): Promise<void>;
}

export interface CallInit { json?: unknown; body?: BodyInit; headers?: Record<string, string> }
/** `json` is `any` on purpose: tests index into response bodies freely. */
export interface CallResult { status: number; json: any; text: string; headers: Headers }

/** `call` over any Elysia app (for tests that build their own with createApp). */
export async function callApp(app: GatewayApp, method: string, path: string, init: CallInit = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...init.headers };
  let body = init.body;
  if (init.json !== undefined) { body = JSON.stringify(init.json); headers["content-type"] ??= "application/json"; }
  const res = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
  const text = await res.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text, headers: res.headers };
}

export interface TestGatewayOptions {
  routes?: RoutePlugin[];
  authenticate?: Authenticator;
  clock?: Clock;
  /** Log to stderr (default: silent; PYOCO_TEST_LOG=1 turns logs on for every test gateway). */
  log?: Logger;
}

export async function startTestGateway(natsUrl: string, overrides: SettingOverrides = {}, opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const log = opts.log ?? (process.env.PYOCO_TEST_LOG ? createLogger({ service: "test-gateway", format: "text", write: (l) => process.stderr.write(l + "\n") }) : silentLogger);
  const gw = await startGateway({
    settings: testSettings(natsUrl, overrides), log, host: "127.0.0.1", port: 0, dashboardLang: "en",
    routes: opts.routes, authenticate: opts.authenticate, clock: opts.clock, stopGraceMs: 500,
  });
  await gw.deps.index.ready;
  return {
    baseUrl: gw.url, app: gw.app, js: gw.deps.js, deps: gw.deps, stop: gw.stop,
    call: (method, path, init) => callApp(gw.app, method, path, init),
  };
}

/**
 * One real nats-server and one gateway for the whole test file: started in beforeAll, stopped in
 * afterAll. Read `file.nats` / `file.gw` inside tests (they exist once beforeAll has run).
 */
export function gatewayForFile(overrides: SettingOverrides = {}): { readonly nats: NatsServer; readonly gw: TestGateway } {
  let nats: NatsServer | undefined;
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    nats = await startNatsServer();
    gw = await startTestGateway(nats.url, overrides);
  });
  afterAll(async () => {
    await gw?.stop();
    await nats?.stop();
  });
  return {
    get nats() { if (!nats) throw new Error("gatewayForFile: nats-server not started yet"); return nats; },
    get gw() { if (!gw) throw new Error("gatewayForFile: gateway not started yet"); return gw; },
  };
}
