/**
 * The shared JetStream module: the only importer of NATS.js. Everything else sees our types.
 *
 *   const js = await PyocoJetStream.connect(settings, { name: "pyoco-http-api", log });
 *   await js.ensureResources();
 *   const id = crypto.randomUUID();
 *   await js.runs.create(id, snapshot);              // compare-and-set helpers, wire JSON codec
 *   await js.queue.publish("cpu", job, id);          // msg id = run id
 *   await js.close();
 */
import type { Settings } from "../config/index.ts";
import type { RunSnapshot } from "../domain/run.ts";
import type { WorkerRecord } from "../domain/worker-record.ts";
import type { ApiKeyRecord } from "../domain/api-key.ts";
import type { ScheduleRecord } from "../domain/schedule.ts";
import type { Logger } from "../lib/log.ts";
import { Connection, mapNatsError, type NatsCredentials } from "./connection.ts";
import { Dlq } from "./dlq.ts";
import { KvStore } from "./kv-store.ts";
import { resourceNames, type ResourceNames } from "./names.ts";
import { desiredReplicas, ensureResources, type ResourceResult } from "./resources.ts";
import { serverSummary, setStreamReplicas, streamReports, type ServerSummary, type StreamReport } from "./cluster.ts";
import { TaskLogs } from "./task-logs.ts";
import { WorkQueue } from "./work-queue.ts";
import { describeStream, publishMessages, recreateStream, streamMessages, type DumpedMessage, type StreamDump } from "./backup.ts";
import { WheelStore } from "./wheel-store.ts";
import { sideEffect } from "../lib/dry-run.ts";

export type { Delivery, ConsumerSettings, TagQueueInfo } from "./work-queue.ts";
export type { Versioned, WatchEntry, WatchFilter, WatchHandle } from "./kv-store.ts";
export type { ResourceNames } from "./names.ts";
export type { ResourceResult } from "./resources.ts";
export type { DlqReason, DlqMessage } from "./dlq.ts";
export type { LogRecord } from "./task-logs.ts";
export type { FollowHandle } from "./stream-reader.ts";
export { KvStore } from "./kv-store.ts";
export { resourceNames, resourceStreams, WORK_STREAM, CONSUMER_PREFIX } from "./names.ts";
export { kvStreamConfig } from "./resources.ts";
export { leaveCluster, LeaveError } from "./leave.ts";
export type { StreamDump, DumpedMessage } from "./backup.ts";
export { kindOf, type ServerSummary, type StreamReport, type ReplicaSummary } from "./cluster.ts";
export { natsServers, redactNatsUrl, type NatsCredentials } from "./connection.ts";

/** The credentials and TLS files of every pyoco connection, from settings. */
export function natsCredentials(s: Settings): NatsCredentials {
  return { user: s.natsUser, password: s.natsPassword, token: s.natsToken, credsFile: s.natsCreds, tlsCa: s.natsTlsCa, tlsCert: s.natsTlsCert, tlsKey: s.natsTlsKey };
}
export { WheelStore, WheelTooLargeError, WheelStoreFullError, type WheelObject } from "./wheel-store.ts";

/** Plain view of a stream's configuration and state (no NATS.js types leak out). */
export interface StreamSummary {
  name: string;
  config: Record<string, unknown>;
  messages: number;
}

export class PyocoJetStream {
  readonly names: ResourceNames;
  readonly runs: KvStore<RunSnapshot>;
  readonly workers: KvStore<WorkerRecord>;
  /** API-key records, key `api_keys.<key_id>` (http-contract.md §4.2). */
  readonly apiKeys: KvStore<ApiKeyRecord>;
  /** YAML schedules, key = schedule_id (http-contract.md §1.14). */
  readonly schedules: KvStore<ScheduleRecord>;
  readonly queue: WorkQueue;
  readonly dlq: Dlq;
  /** Task log lines (stream PYOCO_LOGS). */
  readonly logs: TaskLogs;
  /** Wheel registry object store and its upload/delete history (wire-contract.md §1.3, §7.8). */
  readonly wheels: WheelStore;
  readonly wheelHistory: KvStore<Record<string, unknown>>;

  private constructor(readonly connection: Connection, readonly settings: Settings, log: Logger) {
    this.names = resourceNames(settings);
    this.runs = new KvStore<RunSnapshot>(connection, this.names.runsBucket, log);
    this.workers = new KvStore<WorkerRecord>(connection, this.names.workersBucket, log);
    this.apiKeys = new KvStore<ApiKeyRecord>(connection, this.names.authBucket, log);
    this.schedules = new KvStore<ScheduleRecord>(connection, this.names.schedulesBucket, log);
    this.queue = new WorkQueue(connection, this.names);
    this.dlq = new Dlq(connection, this.names);
    this.logs = new TaskLogs(connection, this.names);
    this.wheels = new WheelStore(connection, this.names.wheelBucket);
    this.wheelHistory = new KvStore<Record<string, unknown>>(connection, this.names.wheelHistoryBucket, log);
  }

  static async connect(settings: Settings, opts: { name: string; log: Logger; timeoutMs?: number }): Promise<PyocoJetStream> {
    sideEffect("connecting to NATS");
    const conn = await Connection.open({ url: settings.natsUrl, credentials: natsCredentials(settings), name: opts.name, log: opts.log, timeoutMs: opts.timeoutMs });
    return new PyocoJetStream(conn, settings, opts.log);
  }

  /**
   * Connect and create missing resources, waiting with backoff while NATS (or its JetStream
   * leader) is unavailable, for up to PYOCO_NATS_CONNECT_WAIT_SEC (gateway and worker start-up).
   */
  static async connectPatiently(settings: Settings, opts: {
    name: string; log: Logger; signal?: AbortSignal; prepare?: (js: PyocoJetStream) => Promise<void>;
  }): Promise<PyocoJetStream> {
    sideEffect("connecting to NATS");
    let js: PyocoJetStream | undefined;
    await Connection.openPatiently({
      url: settings.natsUrl, credentials: natsCredentials(settings), name: opts.name, log: opts.log, timeoutMs: 3000,
      waitSec: settings.natsConnectWaitSec, signal: opts.signal,
      prepare: async (conn) => {
        const candidate = new PyocoJetStream(conn, settings, opts.log);
        await candidate.ensureResources();
        await opts.prepare?.(candidate);
        js = candidate;
      },
    });
    return js!;
  }

  ensureResources(): Promise<ResourceResult[]> {
    this.connection.assertConnected();
    return ensureResources(this.connection, this.names, this.settings);
  }

  get connected(): boolean { return this.connection.connected; }
  /** Subscriptions open on the connection (a watch holds one): leak checks and diagnostics. */
  get subscriptionCount(): number { return this.connection.subscriptionCount; }
  /** The server's max_payload (bytes a single message may carry); NATS's default 1 MiB until connected. */
  get maxPayload(): number { return this.connection.nc.info?.max_payload ?? 1_048_576; }
  onStatus(listener: (event: "disconnect" | "reconnect") => void): () => void { return this.connection.onStatus(listener); }

  /** Configuration and message count of a stream, or null when it does not exist. */
  async stream(name: string): Promise<StreamSummary | null> {
    try {
      const info = await (await this.connection.jsm()).streams.info(name);
      return { name, config: { ...info.config } as Record<string, unknown>, messages: info.state.messages };
    } catch (err) {
      const mapped = mapNatsError(err);
      if ((err as { code?: number }).code === 10059) return null;
      throw mapped;
    }
  }

  async streamNames(): Promise<string[]> {
    const out: string[] = [];
    for await (const name of (await this.connection.jsm()).streams.names()) out.push(name);
    return out.sort();
  }

  /** Delete a stream (operations and fault tests, e.g. "publish fails"). */
  async deleteStream(name: string): Promise<void> {
    try { await (await this.connection.jsm()).streams.delete(name); } catch (err) { throw mapNatsError(err); }
  }

  /** Consumer configuration of a tag's durable, or null. */
  async consumer(tag: string): Promise<Record<string, unknown> | null> {
    try {
      const ci = await (await this.connection.jsm()).consumers.info(this.names.workStream, this.names.consumerName(tag));
      return { ...ci.config, num_pending: ci.num_pending, num_ack_pending: ci.num_ack_pending } as Record<string, unknown>;
    } catch (err) {
      if ((err as { code?: number }).code === 10014 || (err as { code?: number }).code === 10059) return null;
      throw mapNatsError(err);
    }
  }

  /** The server this connection is on (name, cluster, advertised URLs). */
  server(): ServerSummary { return serverSummary(this.connection); }
  /** Leader, replicas and lag of every pyoco stream that exists (KV and object-store streams included). */
  streamReports(): Promise<StreamReport[]> { return streamReports(this.connection, this.names); }
  /** Replicas a new resource gets now (PYOCO_JS_REPLICAS; auto = 3 when clustered, else 1). */
  desiredReplicas(): number { return desiredReplicas(this.connection, this.settings).replicas; }
  setStreamReplicas(name: string, replicas: number): Promise<void> { return setStreamReplicas(this.connection, name, replicas); }

  /** Stream-level copy for `pyoco nats backup|restore` (see backup.ts). */
  get backups() {
    const conn = this.connection;
    return {
      describe: (name: string) => describeStream(conn, name),
      messages: (name: string) => streamMessages(conn, name),
      recreate: (dump: StreamDump, replicas: number, replace: boolean) => recreateStream(conn, dump, replicas, replace),
      publish: (messages: DumpedMessage[]) => publishMessages(conn, messages),
    };
  }

  close(): Promise<void> { return this.connection.close(); }
}
