/** What the gateway's routes are built from. Tests build these with a real NATS and call app.handle(). */
import type { Settings } from "../config/index.ts";
import type { PyocoJetStream } from "../jetstream/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { RunIndex } from "./run-index.ts";
import type { Scheduler } from "./scheduler.ts";

export interface GatewayDeps {
  settings: Settings;
  js: PyocoJetStream;
  /** In-memory index of run summaries fed by one KV watch; also the change feed for SSE. */
  index: RunIndex;
  log: Logger;
  clock: Clock;
  /** The schedule dispatcher of this gateway (absent in tests that build deps by hand). */
  scheduler?: Scheduler;
  /** Resolved dashboard language (http-contract.md §6.4). */
  dashboardLang: "ja" | "en";
}
