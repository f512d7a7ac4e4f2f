/**
 * How a pyoco command describes the local NATS node it runs (`pyoco nats up|join`,
 * `pyoco up --with-nats-bootstrap`): flag values + settings (credentials) → nats-ops options,
 * and the foreground loop that supervises the node until a signal or `pyoco nats leave`.
 */
import type { Settings } from "../config/index.ts";
import { NatsServerError, superviseNatsServer, type LocalNatsServerOptions, type SupervisedNats } from "../nats-ops/index.ts";
import { CliFailure, CliUsageError } from "./errors.ts";
import type { CliIo } from "./io.ts";

export interface NodeFlagValues {
  host: string;
  port: number;
  httpPort: number;
  dataDir: string;
  binary?: string;
  serverName?: string;
  /** Route port; set = cluster mode. */
  clusterPort?: number;
  clusterName: string;
  /** Seed routes (flag values, each may be a comma-separated list). */
  join: string[];
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsVerify?: boolean;
  lameDuckSec?: number;
}

/** nats-route://host:port seeds from repeatable, comma-separated flag values; host:port gets the scheme. */
export function parseSeeds(values: string[], program: string, usage: string): string[] {
  const out: string[] = [];
  for (const raw of values.flatMap((v) => v.split(","))) {
    const v = raw.trim();
    if (!v) continue;
    const url = /^[a-z-]+:\/\//i.test(v) ? v : `nats-route://${v}`;
    if (!/^nats-route:\/\/([^/@\s]+@)?[^/:\s]+:\d+$/i.test(url)) {
      throw new CliUsageError(`invalid seed route '${v}' (expected nats-route://HOST:PORT)`, usage, program, "pass the cluster port of a running node, e.g. nats-route://10.0.0.1:6222");
    }
    out.push(url);
  }
  return out;
}

export function nodeOptions(v: NodeFlagValues, settings: Settings, io: CliIo): LocalNatsServerOptions {
  const clientAuth = settings.natsUser || settings.natsToken
    ? { user: settings.natsUser, password: settings.natsPassword, token: settings.natsUser ? null : settings.natsToken }
    : undefined;
  const routeUser = settings.natsClusterUser ?? settings.natsUser;
  const routePassword = settings.natsClusterUser ? settings.natsClusterPassword : settings.natsPassword;
  const clustered = v.clusterPort !== undefined;
  return {
    host: v.host, port: v.port, httpPort: v.httpPort, dataDir: v.dataDir, binary: v.binary ?? io.env.NATS_SERVER_PATH, cwd: io.cwd, env: { ...io.env },
    serverName: v.serverName,
    auth: clientAuth,
    tls: v.tlsCert && v.tlsKey ? { certFile: v.tlsCert, keyFile: v.tlsKey, caFile: v.tlsCa, verify: v.tlsVerify } : undefined,
    cluster: clustered ? {
      name: v.clusterName, port: v.clusterPort!, routes: v.join.length ? v.join : [`nats-route://${v.host === "0.0.0.0" || v.host === "::" ? "127.0.0.1" : v.host}:${v.clusterPort}`],
      user: routeUser, password: routePassword,
    } : undefined,
    systemAccount: clustered,
    lameDuckDurationSec: clustered ? (v.lameDuckSec ?? 30) : v.lameDuckSec,
  };
}

/** Start and supervise the node; a first-start failure becomes the CLI's ERR-PYOCO-0031 block. */
export async function startNode(io: CliIo, opts: LocalNatsServerOptions): Promise<SupervisedNats> {
  try {
    const node = await superviseNatsServer(opts, { log: (line) => io.stderr(line + "\n"), signal: io.signal });
    const s = node.current;
    const cluster = opts.cluster ? `, cluster '${opts.cluster.name}' routes on port ${opts.cluster.port} (seeds ${opts.cluster.routes.join(", ")})` : "";
    io.stderr(`pyoco: nats-server (pid ${s.pid}) listening on ${s.url}${s.monitorUrl ? `, monitor ${s.monitorUrl}` : ""}, name ${s.serverName}${cluster}, store ${s.storeDir}\n`);
    return node;
  } catch (err) {
    if (err instanceof NatsServerError) throw new CliFailure("ERR-PYOCO-0031", "ERR-PYOCO-0031: cannot start the local NATS server", err.message, err.hint ?? "");
    throw err;
  }
}
