/**
 * nats-server configuration text for a local node with JetStream (pure): optional client
 * authentication, TLS, and a cluster block (routes to seeds, route authentication). A file rather
 * than flags, so paths with spaces survive and secrets stay out of `ps`.
 */

export interface ClusterConfOptions {
  /** Cluster name; every node of one cluster must use the same. */
  name: string;
  /** Route listen port (6222 by convention). */
  port: number;
  /** Route listen host; default: the client listen host. */
  host?: string;
  /** Seed routes, e.g. nats-route://10.0.0.1:6222. The node's own address may be among them. */
  routes: string[];
  /** Route authentication (the same on every node). */
  user?: string | null;
  password?: string | null;
}

export interface ClientAuthConfOptions {
  user?: string | null;
  password?: string | null;
  token?: string | null;
}

export interface TlsConfOptions {
  certFile: string;
  keyFile: string;
  caFile?: string | null;
  /** Require client certificates signed by caFile. */
  verify?: boolean;
}

export interface ServerConfOptions {
  /** Listen host of the client port. */
  host: string;
  port: number;
  /** Monitoring (HTTP) port; 0 or less leaves monitoring off. */
  httpPort: number;
  /** JetStream store directory (absolute). */
  storeDir: string;
  /** Unique per node in a cluster (JetStream peers are known by it). */
  serverName?: string;
  cluster?: ClusterConfOptions;
  auth?: ClientAuthConfOptions;
  tls?: TlsConfOptions;
  /** How long `leave` (lame duck mode) takes to move clients away. */
  lameDuckDurationSec?: number;
  /** nats-server writes its pid here (used by `pyoco nats leave`). */
  pidFile?: string;
  /**
   * A local system-account user (`$SYS` requests: peer removal, server pings). Needs user/password
   * or no client auth: nats-server refuses a token together with accounts.
   */
  systemUser?: { user: string; password: string };
}

/** The user unauthenticated clients become when the system account is on and clients need no auth. */
export const ANONYMOUS_USER = "pyoco";
/** The account of pyoco's clients on a cluster node (a single node keeps the default global account). */
export const CLIENT_ACCOUNT = "PYOCO";

/** A NATS config string literal: double-quoted, backslashes and quotes escaped. */
export function confString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Route URLs with the route credentials added where a URL carries none. */
export function routeUrlsWithAuth(routes: string[], user?: string | null, password?: string | null): string[] {
  if (!user) return routes;
  const auth = `${encodeURIComponent(user)}:${encodeURIComponent(password ?? "")}@`;
  return routes.map((r) => (/^[a-z-]+:\/\/[^/]*@/i.test(r) ? r : r.replace(/^([a-z-]+:\/\/)/i, `$1${auth}`)));
}

function authorization(user?: string | null, password?: string | null, token?: string | null, indent = "  "): string[] {
  if (user) return [`${indent}authorization {`, `${indent}  user: ${confString(user)}`, `${indent}  password: ${confString(password ?? "")}`, `${indent}}`];
  if (token) return [`${indent}authorization {`, `${indent}  token: ${confString(token)}`, `${indent}}`];
  return [];
}

export function renderServerConf(o: ServerConfOptions): string {
  const lines = [
    "# Written by pyoco on every start; edits are overwritten.",
    ...(o.serverName ? [`server_name: ${confString(o.serverName)}`] : []),
    `host: ${confString(o.host)}`,
    `port: ${o.port}`,
    ...(o.httpPort > 0 ? [`http: ${confString(`${o.host}:${o.httpPort}`)}`] : []),
    ...(o.pidFile ? [`pid_file: ${confString(o.pidFile)}`] : []),
    ...(o.lameDuckDurationSec ? [`lame_duck_duration: "${o.lameDuckDurationSec}s"`, `lame_duck_grace_period: "${Math.min(10, o.lameDuckDurationSec / 3)}s"`] : []),
    "jetstream {",
    `  store_dir: ${confString(o.storeDir)}`,
    "}",
  ];
  if (o.systemUser) {
    if (o.auth?.token) throw new Error("a client token cannot be combined with the system account");
    // Top-level users are not enforced next to `accounts`, so clients get their own account.
    const user = o.auth?.user || ANONYMOUS_USER;
    lines.push("accounts {",
      `  ${CLIENT_ACCOUNT} { jetstream: enabled, users: [ { user: ${confString(user)}, password: ${confString(o.auth?.password ?? "")} } ] }`,
      `  SYS { users: [ { user: ${confString(o.systemUser.user)}, password: ${confString(o.systemUser.password)} } ] }`,
      "}", "system_account: SYS");
    if (!o.auth?.user) lines.push(`no_auth_user: ${confString(ANONYMOUS_USER)}`);
  } else if (o.auth) {
    lines.push(...authorization(o.auth.user, o.auth.password, o.auth.token, ""));
  }
  if (o.tls) {
    lines.push("tls {", `  cert_file: ${confString(o.tls.certFile)}`, `  key_file: ${confString(o.tls.keyFile)}`,
      ...(o.tls.caFile ? [`  ca_file: ${confString(o.tls.caFile)}`] : []), ...(o.tls.verify ? ["  verify: true"] : []), "}");
  }
  if (o.cluster) {
    const c = o.cluster;
    lines.push("cluster {", `  name: ${confString(c.name)}`, `  host: ${confString(c.host ?? o.host)}`, `  port: ${c.port}`,
      ...authorization(c.user, c.password, null),
      "  routes: [",
      ...routeUrlsWithAuth(c.routes, c.user, c.password).map((r) => `    ${confString(r)}`),
      "  ]",
      "}");
  }
  return lines.join("\n") + "\n";
}
