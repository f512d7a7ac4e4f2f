/**
 * JSON documents in a KV bucket with compare-and-set writes (decisions.md §3.6), plus a watch
 * that replays every key and then follows updates, surviving NATS restarts by resuming from the
 * last revision it saw.
 */
import { Kvm, type KV } from "@nats-io/kv";
import { NatsUnavailableError, RevisionConflictError } from "../domain/errors.ts";
import { parseWireBytes, wireBytes } from "../domain/json.ts";
import { isValidKvKey } from "../domain/job.ts";
import type { Logger } from "../lib/log.ts";
import { coalesced, sleep } from "../lib/async.ts";
import { mapNatsError, type Connection } from "./connection.ts";

export interface Versioned<T> { value: T; revision: number }

/**
 * Which keys a watch decodes. The others are not JSON-decoded; `skipped` still sees their raw
 * value (null for a delete or purge), a view into NATS's buffer that must be copied to be kept.
 */
export interface WatchFilter {
  wanted(key: string): boolean;
  skipped?(key: string, revision: number, raw: Uint8Array | null): void;
}

export interface WatchEntry<T> {
  key: string;
  revision: number;
  /** null for a delete/purge marker or an undecodable value. */
  value: T | null;
  op: "PUT" | "DEL" | "PURGE";
}

export interface WatchHandle {
  /** Resolves once every entry that existed at start has been delivered. */
  ready: Promise<void>;
  stop(): void;
}

/** How often a live watch checks that it keeps up with its stream (see #stallWatchdog). */
const WATCH_STALL_CHECK_MS = 2500;

export class KvStore<T extends object> {
  #kv?: Promise<KV>;
  constructor(protected readonly conn: Connection, readonly bucket: string, protected readonly log: Logger) {}

  protected kv(): Promise<KV> {
    this.#kv ??= new Kvm(this.conn.js).open(this.bucket, { bindOnly: true }).catch((err) => { this.#kv = undefined; throw err; });
    return this.#kv;
  }

  async #call<R>(key: string | undefined, fn: (kv: KV) => Promise<R>): Promise<R> {
    this.conn.assertConnected();
    try { return await this.conn.failFastOnDisconnect((async () => fn(await this.kv()))()); } catch (err) { throw mapNatsError(err, this.bucket, key); }
  }

  /** The current value, or null when missing, deleted, or the key is outside the NATS key alphabet. */
  async get(key: string): Promise<Versioned<T> | null> {
    if (!isValidKvKey(key)) return null;
    const entry = await this.#call(key, (kv) => kv.get(key));
    if (!entry || entry.operation !== "PUT" || entry.length === 0) return null;
    try { return { value: parseWireBytes(entry.value) as T, revision: entry.revision }; } catch { return null; }
  }

  /** Create only if absent; throws RevisionConflictError when the key exists. `encoded`: `wireBytes(value)` already made by the caller. */
  create(key: string, value: T, encoded?: Uint8Array): Promise<number> {
    return this.#call(key, (kv) => kv.create(key, encoded ?? wireBytes(value)));
  }

  /** Write only if the stored revision is still `revision`; throws RevisionConflictError otherwise. */
  update(key: string, value: T, revision: number): Promise<number> {
    return this.#call(key, (kv) => kv.update(key, wireBytes(value), revision));
  }

  /** Unconditional write (registry heartbeats of a single owner). */
  put(key: string, value: T): Promise<number> {
    return this.#call(key, (kv) => kv.put(key, wireBytes(value)));
  }

  delete(key: string): Promise<void> {
    return this.#call(key, (kv) => kv.delete(key));
  }

  /**
   * Read-modify-write with compare-and-set, retried on conflict. `change` gets the current value
   * (or null) and returns the next value, or null to write nothing. Returns what is stored afterwards.
   */
  async mutate(key: string, change: (current: T | null) => T | null, opts: { attempts?: number } = {}): Promise<Versioned<T> | null> {
    const attempts = opts.attempts ?? 20;
    for (let i = 0; i < attempts; i++) {
      const current = await this.get(key);
      const next = change(current ? current.value : null);
      if (next === null) return current;
      try {
        const revision = current ? await this.update(key, next, current.revision) : await this.create(key, next);
        return { value: next, revision };
      } catch (err) {
        if (!(err instanceof RevisionConflictError)) throw err;
      }
    }
    throw new RevisionConflictError(key);
  }

  /**
   * Every live key's current value (small buckets such as the worker registry). Concurrent
   * callers share reads (see `coalesced`): /workers, /queues and /metrics all come here.
   */
  readonly all: () => Promise<Map<string, Versioned<T>>> = coalesced(() => this.#readAll());

  async #readAll(): Promise<Map<string, Versioned<T>>> {
    const out = new Map<string, Versioned<T>>();
    const handle = this.watch((e) => {
      if (e.value === null) out.delete(e.key);
      else out.set(e.key, { value: e.value, revision: e.revision });
    }, { replayOnly: true });
    try { await handle.ready; } finally { handle.stop(); }
    return out;
  }

  async entryCount(): Promise<number> {
    return this.#call(undefined, async (kv) => (await kv.status()).values);
  }

  /**
   * Follow updates only (no replay of existing keys), resuming from the last revision seen after
   * a reconnect. Cheap for big buckets: the worker uses it to see cancels of the runs it holds
   * (decisions.md §3.5) without replaying every run. `ready` resolves once the watch is subscribed.
   * `filter.wanted` skips other keys before their value is decoded (a worker sees every run's writes).
   */
  watchUpdates(onEntry: (entry: WatchEntry<T>) => void, filter?: WatchFilter): WatchHandle {
    let stopped = false;
    let lastRevision = 0;
    let current: { stop(): void } | null = null;
    let readyResolve!: () => void;
    const ready = new Promise<void>((res) => { readyResolve = res; });
    const unsubscribe = this.conn.onStatus((ev) => { if (ev === "reconnect") current?.stop(); });
    const loop = async () => {
      let failures = 0;
      while (!stopped) {
        try {
          this.conn.assertConnected();
          const kv = await this.kv();
          const iter = await kv.watch(lastRevision > 0 ? { resumeFromRevision: lastRevision + 1 } : { include: "updates" });
          current = iter;
          // stop() during the await above could not reach this iterator: it would wait forever and,
          // once the connection closed, log missed heartbeats every few seconds.
          if (stopped) { iter.stop(); break; }
          readyResolve();
          failures = 0;
          for await (const e of iter) {
            if (stopped) break;
            lastRevision = Math.max(lastRevision, e.revision);
            if (filter && !filter.wanted(e.key)) {
              filter.skipped?.(e.key, e.revision, e.operation === "PUT" && e.length > 0 ? e.value : null);
              continue;
            }
            let value: T | null = null;
            if (e.operation === "PUT" && e.length > 0) {
              try { value = parseWireBytes(e.value) as T; } catch { value = null; }
            }
            onEntry({ key: e.key, revision: e.revision, value, op: e.operation as WatchEntry<T>["op"] });
          }
          iter.stop();
        } catch (err) {
          failures++;
          if (failures === 1) this.log.warn("kv watch interrupted; resuming", { bucket: this.bucket, err: mapNatsError(err, this.bucket) });
        }
        if (!stopped) await sleep(Math.min(1000, 50 * 2 ** Math.min(failures, 5)));
      }
    };
    void loop();
    return { ready, stop: () => { stopped = true; unsubscribe(); current?.stop(); readyResolve(); } };
  }

  /**
   * In a cluster, a watch's consumer lives on the stream leader. When that server dies while our
   * own connection stays up (no reconnect event), the watch goes silent without an error. Every
   * WATCH_STALL_CHECK_MS compare the stream's last sequence with what the watch delivered: if the
   * watch has not reached the sequence seen one check earlier, it is stalled and gets restarted
   * from the last revision seen (nothing is lost; the restart replays from there).
   */
  #stallWatchdog(kv: KV, delivered: () => number, ready: () => boolean, onStall: () => void): ReturnType<typeof setInterval> {
    let target = 0;
    let checking = false;
    return setInterval(async () => {
      if (!ready() || checking) return;
      checking = true;
      try {
        const lastSeq = (await kv.status()).streamInfo.state.last_seq;
        if (target > 0 && delivered() < target) { target = 0; onStall(); } else { target = lastSeq; }
      } catch {
        // No leader yet (election in progress) or NATS down: the next check tries again.
      } finally {
        checking = false;
      }
    }, WATCH_STALL_CHECK_MS);
  }

  /**
   * Replay every key (last value), then follow updates. On a NATS disconnect the watch is
   * restarted from the last revision seen, so no update is lost across a server restart.
   */
  watch(onEntry: (entry: WatchEntry<T>) => void, opts: {
    replayOnly?: boolean;
    /** True for an entry the caller has already (its own write, applied when it was made): not decoded, not delivered. */
    known?: (key: string, revision: number) => boolean;
  } = {}): WatchHandle {
    let stopped = false;
    let lastRevision = 0;
    let readyResolve!: () => void;
    let readyReject!: (err: Error) => void;
    const ready = new Promise<void>((res, rej) => { readyResolve = res; readyReject = rej; });
    let isReady = false;
    /** Stream sequence of the newest message when the replay started. */
    let replayEnd = 0;
    const markReady = () => { if (!isReady) { isReady = true; readyResolve(); } };
    let current: { stop(): void } | null = null;
    const restart = () => { current?.stop(); };
    const unsubscribe = this.conn.onStatus((ev) => { if (ev === "reconnect") restart(); });

    const deliver = (raw: { key: string; revision: number; operation: string; value: Uint8Array; length: number }) => {
      lastRevision = Math.max(lastRevision, raw.revision);
      if (opts.known?.(raw.key, raw.revision)) return;
      let value: T | null = null;
      if (raw.operation === "PUT" && raw.length > 0) {
        try { value = parseWireBytes(raw.value) as T; } catch { value = null; }
      }
      onEntry({ key: raw.key, revision: raw.revision, value, op: raw.operation as WatchEntry<T>["op"] });
    };

    const loop = async () => {
      let failures = 0;
      while (!stopped) {
        try {
          this.conn.assertConnected();
          const kv = await this.kv();
          let empty = false;
          if (!isReady) {
            const state = (await kv.status()).streamInfo.state;
            empty = state.messages === 0;
            replayEnd = Math.max(replayEnd, state.last_seq);
          }
          const iter = await kv.watch(lastRevision > 0 ? { resumeFromRevision: lastRevision + 1 } : {});
          current = iter;
          if (stopped) { iter.stop(); break; }   // stopped during the await (see watchUpdates)
          if (empty) markReady();
          failures = 0;
          const watchdog = opts.replayOnly ? null : this.#stallWatchdog(kv, () => lastRevision, () => isReady, () => {
            this.log.warn("kv watch stalled (stream leader moved?); resuming", { bucket: this.bucket, revision: lastRevision });
            iter.stop();
          });
          try {
            for await (const e of iter) {
              if (stopped) break;
              deliver(e);
              // The replay is complete at the entry that reaches the stream's last sequence seen at
              // start (or when nothing more is pending). `delta === 0` alone never comes while
              // writers keep the bucket busy (a worker draining 300 runs): /workers hung for minutes.
              if (!isReady && (e.revision >= replayEnd || (e.delta ?? 0) === 0)) {
                markReady();
                if (opts.replayOnly) { stopped = true; break; }
              }
            }
          } finally {
            if (watchdog) clearInterval(watchdog);
          }
          iter.stop();
          if (opts.replayOnly && isReady) stopped = true;
        } catch (err) {
          const mapped = mapNatsError(err, this.bucket);
          if (!isReady && !(mapped instanceof NatsUnavailableError)) { readyReject(mapped); return; }
          failures++;
          if (failures === 1) this.log.warn("kv watch interrupted; resuming", { bucket: this.bucket, err: mapped });
          if (opts.replayOnly && failures > 3) { readyReject(mapped); return; }
        }
        if (!stopped) await sleep(Math.min(1000, 50 * 2 ** Math.min(failures, 5)));
      }
    };
    void loop();
    return {
      ready,
      stop: () => { stopped = true; unsubscribe(); current?.stop(); markReady(); },
    };
  }
}
