/**
 * Run the gateway: connect to NATS (client name `pyoco-http-api`), create missing resources,
 * start the run index (one KV watch) and the schedule dispatcher, listen, and stop gracefully:
 * stop accepting → let in-flight requests finish (grace) → close what is left (SSE streams) →
 * stop the dispatcher → stop the index → drain NATS.
 *
 *   const gw = await startGateway({ settings, log, host: "127.0.0.1", port: 8000 });
 *   console.log(gw.url);            // http://127.0.0.1:8000
 *   await gw.stop();
 */
import type { Server } from "bun";
import { resolveDashboardLang, type Env, type Settings } from "../config/index.ts";
import { PyocoError } from "../domain/errors.ts";
import { PyocoJetStream, redactNatsUrl } from "../jetstream/index.ts";
import { systemClock, type Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { createApp, EXTRA_ROUTES, type Authenticator, type GatewayApp, type RoutePlugin } from "./app.ts";
import type { GatewayDeps } from "./deps.ts";
import { createRunIndex } from "./run-index.ts";
import { maxRequestBodySize, rememberPeer } from "./peer.ts";
import { startScheduler, type Scheduler } from "./scheduler.ts";

export interface StartGatewayOptions {
  settings: Settings;
  log: Logger;
  /** Listen host. Default 127.0.0.1. */
  host?: string;
  /** Listen port; 0 picks a free one. Default 8000. */
  port?: number;
  clock?: Clock;
  /** Dashboard language; default: resolved from settings.dashboardLang and the locale variables of `env`. */
  dashboardLang?: "ja" | "en";
  env?: Env;
  /** Route plugins besides health and runs. Default EXTRA_ROUTES (app.ts). */
  routes?: RoutePlugin[];
  authenticate?: Authenticator;
  /** How long stop() lets in-flight requests finish before closing connections. Default 2000 ms. */
  stopGraceMs?: number;
  /** Aborts the wait for NATS at start-up (PYOCO_NATS_CONNECT_WAIT_SEC), e.g. on Ctrl-C. */
  signal?: AbortSignal;
}

export interface RunningGateway {
  /** e.g. http://127.0.0.1:8000 */
  url: string;
  host: string;
  port: number;
  app: GatewayApp;
  deps: GatewayDeps;
  /** Graceful stop; idempotent (the same promise every time). */
  stop(): Promise<void>;
}

/** Seconds a connection may stay silent. SSE streams send heartbeats well within it. */
const IDLE_TIMEOUT_SEC = 255;

export async function startGateway(opts: StartGatewayOptions): Promise<RunningGateway> {
  const { settings, log } = opts;
  const host = opts.host ?? "127.0.0.1";
  // Waits (with one log line per attempt) while NATS is not up yet; creates missing resources.
  const js = await PyocoJetStream.connectPatiently(settings, { name: "pyoco-http-api", log, signal: opts.signal });
  let index: GatewayDeps["index"] | undefined;
  let scheduler: Scheduler | undefined;
  let server: Server<undefined> | undefined;
  try {
    index = createRunIndex(js.runs, log.child("run-index"));
    const deps: GatewayDeps = {
      settings, js, index, log,
      clock: opts.clock ?? systemClock,
      dashboardLang: opts.dashboardLang ?? resolveDashboardLang(settings.dashboardLang, opts.env ?? {}),
    };
    scheduler = deps.scheduler = startScheduler(deps);
    const app = createApp(deps, opts.routes ?? EXTRA_ROUTES, { authenticate: opts.authenticate });
    server = listen(app, host, opts.port ?? 8000, maxRequestBodySize(settings.wheelMaxBytes, settings.httpMaxBodyBytes));
    const listening = server;
    const port = listening.port ?? opts.port ?? 0;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    log.info("gateway listening", { url, nats_url: redactNatsUrl(settings.natsUrl) });

    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= (async () => {
      const graceful = listening.stop(false);
      const graceMs = opts.stopGraceMs ?? 2000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = await Promise.race([graceful.then(() => false), new Promise<boolean>((r) => { timer = setTimeout(() => r(true), graceMs); })]);
      clearTimeout(timer);
      if (late) await listening.stop(true);   // long-lived requests (SSE streams) are closed now
      await deps.scheduler?.stop(graceMs);      // no new fires; a fire in flight finishes its writes
      deps.index.stop();
      await js.close();
      log.info("gateway stopped", { url });
    })());
    return { url, host, port, app, deps, stop };
  } catch (err) {
    await scheduler?.stop(0);
    index?.stop();
    await server?.stop(true);
    await js.close();
    throw err;
  }
}

function listen(app: GatewayApp, host: string, port: number, maxBodyBytes: number): Server<undefined> {
  try {
    return Bun.serve({
      hostname: host, port, idleTimeout: IDLE_TIMEOUT_SEC, maxRequestBodySize: maxBodyBytes,
      fetch: (request, srv) => {
        rememberPeer(request, srv.requestIP(request)?.address);   // wheel history source.remote_addr
        return app.handle(request);
      },
    });
  } catch (err) {
    throw new PyocoError("ERR-PYOCO-0018", `cannot listen on ${host}:${port} (${(err as Error).message})`, {
      hint: "choose another --port/--host, or stop the process that uses the port",
      cause: err,
    });
  }
}
