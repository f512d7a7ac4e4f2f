/**
 * ensureResources (wire-contract.md §1.2): create every stream, KV bucket and the object store
 * when missing, in the original's order. An existing resource is never compared or modified.
 * Two processes racing: the loser sees "already in use", re-checks existence, and succeeds.
 */
import { DiscardPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import type { Settings } from "../config/index.ts";
import { sleep } from "../lib/async.ts";
import type { Connection } from "./connection.ts";
import { mapNatsError } from "./connection.ts";
import type { ResourceNames } from "./names.ts";
import { serverSummary } from "./cluster.ts";

const NS_PER_SEC = 1_000_000_000;
const TWO_MINUTES_NS = 120 * NS_PER_SEC;
/** JetStream API error "no suitable peers for placement" (not in the client's code table). */
const NO_SUITABLE_PEERS = 10005;
const AUTO_PLACEMENT_TRIES = 5;

export type ResourceKind = "stream" | "kv" | "object_store";
export interface ResourceResult { kind: ResourceKind; name: string; created: boolean }

/** The stream config nats-py produces for a KV bucket (wire-contract.md §1.1, "What create KV produces"). */
export function kvStreamConfig(bucket: string, history: number, ttlSec: number, replicas = 1): Partial<StreamConfig> {
  const ttlNs = Math.round(ttlSec * NS_PER_SEC);
  return {
    name: `KV_${bucket}`,
    subjects: [`$KV.${bucket}.>`],
    max_msgs_per_subject: history,
    max_age: ttlNs,
    allow_rollup_hdrs: true,
    deny_delete: true,
    discard: DiscardPolicy.New,
    duplicate_window: ttlNs > 0 ? Math.min(TWO_MINUTES_NS, ttlNs) : TWO_MINUTES_NS,
    max_msgs: -1,
    max_consumers: -1,
    num_replicas: replicas,
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
  };
}

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try { await jsm.streams.info(name); return true; } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return false;
    throw err;
  }
}

/**
 * Replicas for a new resource: PYOCO_JS_REPLICAS, or for `auto` min(3, servers in the cluster) —
 * 3 when clustered, lowered by `createWithReplicas` when the cluster has fewer servers.
 */
export function desiredReplicas(conn: Connection, s: Pick<Settings, "jsReplicas">): { replicas: number; auto: boolean } {
  if (s.jsReplicas !== "auto") return { replicas: Number(s.jsReplicas), auto: false };
  const server = serverSummary(conn);
  return { replicas: server.cluster ? Math.max(1, Math.min(3, new Set(server.connectUrls).size)) : 1, auto: true };
}

/** Create with `replicas`; in auto mode step down while the cluster has too few servers ("no suitable peers"). */
async function createWithReplicas(replicas: { replicas: number; auto: boolean }, create: (n: number) => Promise<unknown>): Promise<void> {
  for (let n = replicas.replicas, tries = 0; ; tries++) {
    try { await create(n); return; } catch (err) {
      const noPeers = err instanceof JetStreamApiError && err.code === NO_SUITABLE_PEERS;
      if (!(replicas.auto && noPeers && n > 1)) throw err;
      // A forming cluster briefly has fewer JetStream peers than servers: wait a little before settling for fewer.
      if (tries < AUTO_PLACEMENT_TRIES) { await sleep(1000); continue; }
      n--; tries = 0;
    }
  }
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }, replicas: { replicas: number; auto: boolean }): Promise<boolean> {
  if (await streamExists(jsm, config.name)) return false;
  try {
    await createWithReplicas(replicas, (n) => jsm.streams.add({ ...config, num_replicas: n }));
    return true;
  } catch (err) {
    // Lost a race with another process: fine if the stream exists now, whatever its settings.
    if (await streamExists(jsm, config.name)) return false;
    throw err;
  }
}

export async function ensureResources(conn: Connection, names: ResourceNames, s: Settings): Promise<ResourceResult[]> {
  try {
    const jsm = await conn.jsm();
    const replicas = desiredReplicas(conn, s);
    const results: ResourceResult[] = [];
    const stream = async (config: Partial<StreamConfig> & { name: string }) =>
      results.push({ kind: "stream", name: config.name, created: await ensureStream(jsm, config, replicas) });
    const kv = async (bucket: string, history: number, ttlSec: number) =>
      results.push({ kind: "kv", name: bucket, created: await ensureStream(jsm, kvStreamConfig(bucket, history, ttlSec) as StreamConfig, replicas) });

    await stream({ name: names.workStream, subjects: [`${names.workSubjectPrefix}.>`], retention: RetentionPolicy.Workqueue, storage: StorageType.File });
    await stream({
      name: names.dlqStream, subjects: [`${names.dlqSubjectPrefix}.>`], retention: RetentionPolicy.Limits, storage: StorageType.File,
      max_age: Math.round(s.dlqMaxAgeSec * NS_PER_SEC), max_msgs: s.dlqMaxMsgs, max_bytes: s.dlqMaxBytes,
    });
    // Task logs (ours): one subject per run; the oldest lines give way when a limit is reached.
    await stream({
      name: names.logsStream, subjects: [`${names.logsSubjectPrefix}.>`], retention: RetentionPolicy.Limits, storage: StorageType.File,
      discard: DiscardPolicy.Old, max_age: Math.round(s.logsMaxAgeSec * NS_PER_SEC), max_bytes: s.logsMaxBytes,
      max_msgs_per_subject: s.logsMaxLinesPerRun + 2,   // + the drop notice and the summary line
    });
    await kv(names.runsBucket, 1, 0);
    await kv(names.workersBucket, 1, s.workersTtlSec);
    await kv(names.bundlesBucket, 1, 0);
    await kv(names.schedulesBucket, 5, 0);
    await kv(names.relationsBucket, 1, 0);
    await kv(names.authBucket, 1, 0);
    const objCreated = !(await streamExists(jsm, `OBJ_${names.wheelBucket}`));
    if (objCreated) {
      try {
        await createWithReplicas(replicas, (n) => new Objm(conn.nc).create(names.wheelBucket, { max_bytes: s.wheelMaxBytes > 0 ? s.wheelMaxBytes : -1, replicas: n }));
      } catch (err) {
        if (!(await streamExists(jsm, `OBJ_${names.wheelBucket}`))) throw err;
      }
    }
    results.push({ kind: "object_store", name: names.wheelBucket, created: objCreated });
    await kv(names.wheelHistoryBucket, 1, s.wheelHistoryTtlSec);
    return results;
  } catch (err) {
    throw mapNatsError(err, "ensureResources");
  }
}
