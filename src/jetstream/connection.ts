/**
 * Connection to NATS and the ONE mapping of NATS.js errors to our errors:
 * "wrong last sequence" → RevisionConflictError, every other NATS failure → NatsUnavailableError.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { errors as coreErrors } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, JetStreamError, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { jserrors } from "@nats-io/jetstream/internal";
import { NatsUnavailableError, PyocoError, RevisionConflictError } from "../domain/errors.ts";
import type { Logger } from "../lib/log.ts";

export interface ConnectOptions {
  url: string;
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
    try {
      const nc = await connect({
        servers: opts.url.replace(/^nats:\/\//, ""),
        name: opts.name,
        maxReconnectAttempts: -1,   // never give up: NATS restarts must be survivable
        reconnectTimeWait: 250,
        timeout: opts.timeoutMs ?? 5000,
        pingInterval: 10_000,
      });
      return new Connection(nc, opts.log);
    } catch (err) {
      throw mapNatsError(err, `cannot connect to ${opts.url}`);
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
  get js(): JetStreamClient { return (this.#js ??= jetstream(this.nc)); }
  jsm(): Promise<JetStreamManager> {
    this.#jsm ??= jetstreamManager(this.nc).catch((err) => { this.#jsm = undefined; throw err; });
    return this.#jsm;
  }

  get connected(): boolean { return this.#connected && !this.nc.isClosed(); }

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

/** Run a NATS call and translate its failure. */
export async function natsCall<T>(fn: () => Promise<T>, key?: string): Promise<T> {
  try { return await fn(); } catch (err) { throw mapNatsError(err, undefined, key); }
}
