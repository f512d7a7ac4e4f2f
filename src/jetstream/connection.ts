/**
 * Connection to NATS and the ONE mapping of NATS.js errors to our errors:
 * "wrong last sequence" → RevisionConflictError, every other NATS failure → NatsUnavailableError.
 */
import { readFileSync } from "node:fs";
import { credsAuthenticator, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { errors as coreErrors } from "@nats-io/transport-node";
import { connectCoalescing } from "./coalescing-transport.ts";
import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, JetStreamError, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { jserrors } from "@nats-io/jetstream/internal";
import { NatsUnavailableError, PyocoError, RevisionConflictError } from "../domain/errors.ts";
import { sleep } from "../lib/async.ts";
import type { Logger } from "../lib/log.ts";

/** Credentials and TLS files of a connection (PYOCO_NATS_USER/PASSWORD/TOKEN/CREDS, PYOCO_NATS_TLS_*). */
export interface NatsCredentials {
  user?: string | null;
  password?: string | null;
  token?: string | null;
  /** A NATS .creds file (JWT + nkey seed). */
  credsFile?: string | null;
  tlsCa?: string | null;
  tlsCert?: string | null;
  tlsKey?: string | null;
}

/** The servers of a URL or a comma-separated seed list, in order (`nats://a:4222,nats://b:4222`). */
export function natsServers(url: string): string[] {
  return url.split(",").map((u) => u.trim()).filter((u) => u !== "");
}

/** A URL or seed list with any user:password@ part hidden, for logs and messages. */
export function redactNatsUrl(url: string): string {
  return url.replace(/\/\/[^/@,\s]*@/g, "//***@");
}

/** user:password (or a token) given inside a URL, e.g. nats://u:p@host:4222. */
function urlCredentials(servers: string[]): { user?: string; pass?: string; token?: string } {
  for (const s of servers) {
    const m = s.match(/^(?:[a-z]+:\/\/)?([^/@]*)@/i);
    if (!m) continue;
    const [user, pass] = m[1]!.split(":").map(decodeURIComponent);
    return pass === undefined ? { token: user } : { user, pass };
  }
  return {};
}

/** NATS.js connection options for servers + credentials (explicit settings win over URL userinfo). */
export function natsConnectionOptions(url: string, creds: NatsCredentials = {}): ConnectionOptions {
  const servers = natsServers(url);
  const inUrl = urlCredentials(servers);
  const opts: ConnectionOptions = { servers: servers.map((s) => s.replace(/^(nats|tls):\/\//, "").replace(/^[^/@]*@/, "")) };
  const user = creds.user ?? inUrl.user;
  const pass = creds.password ?? inUrl.pass;
  if (user) { opts.user = user; opts.pass = pass ?? ""; }
  const token = creds.token ?? inUrl.token;
  if (token) opts.token = token;
  if (creds.credsFile) {
    let text: Uint8Array;
    try { text = readFileSync(creds.credsFile); } catch (err) {
      throw new PyocoError("ERR-PYOCO-0018", `cannot read the NATS credentials file ${creds.credsFile}: ${(err as Error).message}`,
        { hint: "fix PYOCO_NATS_CREDS (a .creds file with a JWT and an nkey seed)" });
    }
    opts.authenticator = credsAuthenticator(text);
  }
  if (creds.tlsCa || creds.tlsCert || creds.tlsKey || servers.some((s) => s.startsWith("tls://"))) {
    opts.tls = {
      ...(creds.tlsCa ? { caFile: creds.tlsCa } : {}),
      ...(creds.tlsCert ? { certFile: creds.tlsCert } : {}),
      ...(creds.tlsKey ? { keyFile: creds.tlsKey } : {}),
    };
  }
  return opts;
}

/**
 * JetStream request timeout. Shorter than NATS.js's 5 s: while a clustered stream elects a new
 * leader (kill -9 of the old one) requests go unanswered, and callers that retry through a
 * failover should notice soon. Plenty for a LAN.
 */
const JS_TIMEOUT_MS = 2000;

export interface ConnectOptions {
  /** One server URL or a comma-separated seed list. */
  url: string;
  credentials?: NatsCredentials;
  /** Connection name shown by the server, e.g. `pyoco-http-api` (wire-contract.md §0). */
  name: string;
  log: Logger;
  /** How long the first connect may take before start-up fails. Default 5 s. */
  timeoutMs?: number;
}

export class Connection {
  #connected = true;
  #listeners = new Set<(event: "disconnect" | "reconnect") => void>();
  /** Rejecters of calls in flight (see `failFastOnDisconnect`). */
  #inflight = new Set<(err: Error) => void>();

  private constructor(readonly nc: NatsConnection, private readonly log: Logger) {
    void this.#followStatus();
  }

  static async open(opts: ConnectOptions): Promise<Connection> {
    const options = natsConnectionOptions(opts.url, opts.credentials);
    try {
      const nc = await connectCoalescing({
        ...options,
        name: opts.name,
        maxReconnectAttempts: -1,   // never give up: NATS restarts must be survivable
        reconnectTimeWait: 250,
        timeout: opts.timeoutMs ?? 5000,
        pingInterval: 10_000,
        // No Error (with a captured stack) per request: errors are mapped to our own types anyway,
        // and creating two per request was ~7 % of the gateway's CPU under submit load.
        noAsyncTraces: true,
      });
      return new Connection(nc, opts.log);
    } catch (err) {
      if (err instanceof coreErrors.AuthorizationError || err instanceof coreErrors.UserAuthenticationExpiredError) {
        throw new NatsUnavailableError(`authorization failed at ${redactNatsUrl(opts.url)}`, {
          cause: err, hint: "set PYOCO_NATS_USER/PYOCO_NATS_PASSWORD, PYOCO_NATS_TOKEN or PYOCO_NATS_CREDS to credentials the server accepts",
        });
      }
      throw mapNatsError(err, `cannot connect to ${redactNatsUrl(opts.url)}`);
    }
  }

  /**
   * Open and `prepare` (e.g. create resources), retrying with backoff while NATS is unavailable:
   * for processes started before NATS or while a seed or the JetStream leader is away. One log
   * line per failed attempt (no stack trace). `waitSec` < 0 waits forever, 0 tries once.
   * Rejects with the last NatsUnavailableError when the wait is over, or when `signal` aborts.
   */
  static async openPatiently(opts: ConnectOptions & {
    waitSec: number; signal?: AbortSignal; prepare?: (conn: Connection) => Promise<void>;
  }): Promise<Connection> {
    const deadline = opts.waitSec < 0 ? Infinity : Date.now() + opts.waitSec * 1000;
    for (let attempt = 1; ; attempt++) {
      let conn: Connection | undefined;
      try {
        conn = await Connection.open(opts);
        await opts.prepare?.(conn);
        if (attempt > 1) opts.log.info("nats connected", { nats_url: redactNatsUrl(opts.url), attempt });
        return conn;
      } catch (err) {
        await conn?.close().catch(() => undefined);
        if (err instanceof NatsUnavailableError && err.reason.startsWith("authorization failed")) throw err;   // retrying cannot help
        const mapped = mapNatsError(err);
        const delayMs = Math.min(10_000, 500 * 2 ** Math.min(attempt - 1, 5));
        if (!(mapped instanceof NatsUnavailableError) || opts.signal?.aborted || Date.now() + delayMs > deadline) throw mapped;
        opts.log.warn("nats not available yet; retrying", {
          nats_url: redactNatsUrl(opts.url), attempt, retry_in_sec: delayMs / 1000, reason: describeNatsFailure(err),
        });
        await sleep(delayMs, opts.signal);
        if (opts.signal?.aborted) throw mapped;
      }
    }
  }

  async #followStatus() {
    for await (const s of this.nc.status()) {
      if (s.type === "disconnect") {
        this.#connected = false;
        this.log.warn("nats disconnected", { err_id: "ERR-PYOCO-0003" });
        for (const fail of this.#inflight) fail(new NatsUnavailableError("disconnected during the request"));
        this.#inflight.clear();
        this.#emit("disconnect");
      }
      if (s.type === "reconnect") { this.#connected = true; this.log.info("nats reconnected"); this.#emit("reconnect"); }
    }
  }

  #emit(event: "disconnect" | "reconnect") {
    for (const l of this.#listeners) { try { l(event); } catch { /* a listener's failure is its own */ } }
  }

  #js?: JetStreamClient;
  #jsm?: Promise<JetStreamManager>;
  get js(): JetStreamClient { return (this.#js ??= jetstream(this.nc, { timeout: JS_TIMEOUT_MS })); }
  jsm(): Promise<JetStreamManager> {
    this.#jsm ??= jetstreamManager(this.nc, { timeout: JS_TIMEOUT_MS }).catch((err) => { this.#jsm = undefined; throw err; });
    return this.#jsm;
  }

  get connected(): boolean { return this.#connected && !this.nc.isClosed(); }
  /** Subscriptions open on this connection (watches, request inboxes): leak checks and diagnostics. */
  get subscriptionCount(): number { return (this.nc as unknown as { protocol: { subscriptions: { size(): number } } }).protocol.subscriptions.size(); }

  /** Throws NatsUnavailableError at once while disconnected, instead of waiting for a request timeout. */
  assertConnected(): void {
    if (!this.connected) throw new NatsUnavailableError("disconnected");
  }

  /**
   * Settle like `call`, but reject with NatsUnavailableError as soon as the connection drops:
   * NATS.js keeps a request made just before an outage pending until its timeout (5 s per call,
   * 10 s for a submit), so callers (an HTTP client waiting for a 503) would hang meanwhile.
   * The request itself is left to end on its own.
   */
  async failFastOnDisconnect<T>(call: Promise<T>): Promise<T> {
    call.catch(() => undefined);   // its late failure after we gave up is not unhandled
    if (!this.connected) throw new NatsUnavailableError("disconnected");
    let fail!: (err: Error) => void;
    const lost = new Promise<never>((_, reject) => { fail = reject; });
    this.#inflight.add(fail);
    try { return await Promise.race([call, lost]); } finally { this.#inflight.delete(fail); }
  }

  onStatus(listener: (event: "disconnect" | "reconnect") => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    try { await this.nc.drain(); } catch { await this.nc.close().catch(() => {}); }
  }
}

const NATS_ERROR_CLASSES: Function[] = [
  JetStreamError, JetStreamApiError,
  // e.g. JetStreamNotEnabled: what a publish gets when no stream takes the subject (work stream deleted).
  ...Object.values(jserrors as unknown as Record<string, Function>),
  ...Object.values(coreErrors as unknown as Record<string, Function>),
];

function isNatsError(err: unknown): err is Error {
  return err instanceof Error && NATS_ERROR_CLASSES.some((cls) => err instanceof (cls as new () => Error));
}

/**
 * The one translation point for NATS.js errors. Our own errors pass through unchanged;
 * non-NATS errors are returned as they are (they are bugs, not outages).
 */
export function mapNatsError(err: unknown, context?: string, key?: string): Error {
  if (err instanceof PyocoError) return err;
  if (err instanceof JetStreamApiError &&
      (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)) {
    return new RevisionConflictError(key ?? context ?? "key");
  }
  if (isNatsError(err)) {
    return new NatsUnavailableError(err.name || "NatsError", { cause: err });
  }
  if (err instanceof Error && /connection refused|ECONNREFUSED|ConnectionRefused/i.test(err.message)) {
    return new NatsUnavailableError("ConnectionRefused", { cause: err });   // adapter for socket-level text, tested
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** One short line for a NATS failure: the error name and message, with its cause's when present. */
export function describeNatsFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error && err.cause.message !== err.message ? ` (${err.cause.message})` : "";
  return `${err.message}${cause}`;
}

/** Run a NATS call and translate its failure. */
export async function natsCall<T>(fn: () => Promise<T>, key?: string): Promise<T> {
  try { return await fn(); } catch (err) { throw mapNatsError(err, undefined, key); }
}
