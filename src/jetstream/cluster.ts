/**
 * What pyoco needs to know about a (clustered) JetStream: the server it is connected to, each
 * stream's leader, replicas and lag, and raising a stream's replica count on request. Plain data
 * out, no NATS.js types.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { Connection } from "./connection.ts";
import { mapNatsError } from "./connection.ts";
import { resourceStreams, type ResourceNames } from "./names.ts";

export interface ServerSummary {
  name: string;
  id: string;
  version: string;
  /** Cluster name, or null for a single server. */
  cluster: string | null;
  /** Client URLs the cluster advertises (every server, including this one). */
  connectUrls: string[];
}

export interface ReplicaSummary {
  name: string;
  current: boolean;
  offline: boolean;
  /** Seconds since the replica was last heard from. */
  activeSec: number;
  /** Operations this replica is behind the leader. */
  lag: number;
}

export interface StreamReport {
  name: string;
  /** "stream" | "kv" | "object_store", from the name. */
  kind: "stream" | "kv" | "object_store";
  replicas: number;
  messages: number;
  bytes: number;
  /** Leader server name, null when there is none right now (or a single server). */
  leader: string | null;
  followers: ReplicaSummary[];
}

export function serverSummary(conn: Connection): ServerSummary {
  const info = conn.nc.info as (Record<string, unknown> | undefined);
  return {
    name: String(info?.server_name ?? ""),
    id: String(info?.server_id ?? ""),
    version: String(info?.version ?? ""),
    cluster: typeof info?.cluster === "string" && info.cluster ? info.cluster : null,
    connectUrls: Array.isArray(info?.connect_urls) ? (info!.connect_urls as string[]) : [],
  };
}


export function kindOf(stream: string): StreamReport["kind"] {
  return stream.startsWith("KV_") ? "kv" : stream.startsWith("OBJ_") ? "object_store" : "stream";
}

/** Reports of the pyoco streams that exist, in candidate order. */
export async function streamReports(conn: Connection, names: ResourceNames): Promise<StreamReport[]> {
  try {
    const jsm = await conn.jsm();
    const present = new Set<string>();
    for await (const n of jsm.streams.names()) present.add(n);
    const out: StreamReport[] = [];
    for (const name of resourceStreams(names)) {
      if (!present.has(name)) continue;
      out.push(await streamReport(jsm, name));
    }
    return out;
  } catch (err) { throw mapNatsError(err, "stream report"); }
}

async function streamReport(jsm: JetStreamManager, name: string): Promise<StreamReport> {
  const si = await jsm.streams.info(name);
  const cluster = si.cluster as { leader?: string; replicas?: { name: string; current: boolean; offline?: boolean; active: number; lag?: number }[] } | undefined;
  return {
    name, kind: kindOf(name), replicas: si.config.num_replicas ?? 1,
    messages: si.state.messages, bytes: si.state.bytes,
    leader: cluster?.leader ?? null,
    followers: (cluster?.replicas ?? []).map((r) => ({
      name: r.name, current: r.current, offline: r.offline ?? false, activeSec: Math.round((r.active / 1e9) * 10) / 10, lag: r.lag ?? 0,
    })),
  };
}

/** Raise (or set) a stream's replica count; the server re-places the stream. */
export async function setStreamReplicas(conn: Connection, name: string, replicas: number): Promise<void> {
  try {
    const jsm = await conn.jsm();
    const si = await jsm.streams.info(name);
    await jsm.streams.update(name, { ...si.config, num_replicas: replicas });
  } catch (err) { throw mapNatsError(err, `set replicas of ${name}`); }
}
