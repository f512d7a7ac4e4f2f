/**
 * Take a node out of its JetStream cluster through the system account (`pyoco nats leave`):
 * hand the meta leadership away if the node holds it, then ask the meta leader to remove the
 * node as a peer so the remaining servers keep quorum and re-place its replicas.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Settings } from "../config/index.ts";
import { PyocoError } from "../domain/errors.ts";
import { waitFor } from "../lib/async.ts";
import { natsConnectionOptions } from "./connection.ts";

export class LeaveError extends PyocoError {
  constructor(message: string, hint: string) { super("ERR-PYOCO-0003", message, { hint }); }
}

interface MetaCluster { name?: string; leader?: string; cluster_size?: number }

async function requestJson(nc: NatsConnection, subject: string, body: unknown = ""): Promise<Record<string, unknown>> {
  const msg = await nc.request(subject, typeof body === "string" ? body : JSON.stringify(body), { timeout: 5000 });
  return msg.json<Record<string, unknown>>();
}

async function metaCluster(nc: NatsConnection, serverId: string): Promise<MetaCluster> {
  const r = await requestJson(nc, `$SYS.REQ.SERVER.${serverId}.JSZ`);
  return ((r.data as Record<string, unknown> | undefined)?.meta_cluster ?? {}) as MetaCluster;
}

/** Returns the node's name once it is no longer a JetStream peer. */
export async function leaveCluster(o: { url: string; user: string; password: string; settings: Settings; progress: (line: string) => void }): Promise<string> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      ...natsConnectionOptions(o.url, { user: o.user, password: o.password, tlsCa: o.settings.natsTlsCa, tlsCert: o.settings.natsTlsCert, tlsKey: o.settings.natsTlsKey }),
      name: "pyoco-nats-leave", timeout: 5000,
    });
  } catch (err) {
    throw new LeaveError(`cannot connect to the local node ${o.url} as its system user: ${(err as Error).message}`, "is the node running (pyoco nats status)?");
  }
  try {
    const name = String(nc.info?.server_name ?? "");
    const id = String(nc.info?.server_id ?? "");
    let meta = await metaCluster(nc, id);
    if (!meta.name) throw new LeaveError(`${name} is not part of a JetStream cluster`, "a single node is stopped with `pyoco nats down --confirm`");
    if ((meta.cluster_size ?? 0) <= 2) o.progress(`warning: the cluster has ${meta.cluster_size} server(s); after the leave it has ${(meta.cluster_size ?? 1) - 1}`);
    if (meta.leader === name) {
      o.progress(`${name} leads the JetStream meta group; asking it to step down`);
      await requestJson(nc, "$JS.API.META.LEADER.STEPDOWN");
      meta = await waitFor(async () => {
        const m = await metaCluster(nc, id);
        return m.leader && m.leader !== name ? m : null;
      }, { timeoutMs: 20_000, intervalMs: 250, what: "a new meta leader" });
    }
    o.progress(`removing peer ${name} (meta leader ${meta.leader ?? "?"})`);
    const r = await requestJson(nc, "$JS.API.SERVER.REMOVE", { peer: name });
    const error = r.error as { description?: string } | undefined;
    if (error) throw new LeaveError(`the meta leader refused to remove ${name}: ${error.description ?? JSON.stringify(error)}`, "check `pyoco nats status`; a cluster needs a meta leader (a majority of its servers up)");
    return name;
  } catch (err) {
    if (err instanceof PyocoError) throw err;
    throw new LeaveError(`leaving failed: ${(err as Error).message}`, "check `pyoco nats status`; a cluster needs a meta leader (a majority of its servers up)");
  } finally {
    await nc.close().catch(() => undefined);
  }
}
