/**
 * nats-server configuration text for a local single node with JetStream (pure). A file rather
 * than flags, so paths with spaces survive and `pyoco nats` can grow cluster blocks later.
 */

export interface ServerConfOptions {
  /** Listen host of the client port. */
  host: string;
  port: number;
  /** Monitoring (HTTP) port; 0 or less leaves monitoring off. */
  httpPort: number;
  /** JetStream store directory (absolute). */
  storeDir: string;
  serverName?: string;
}

/** A NATS config string literal: double-quoted, backslashes and quotes escaped. */
export function confString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export function renderServerConf(o: ServerConfOptions): string {
  const lines = [
    "# Written by pyoco on every start; edits are overwritten.",
    ...(o.serverName ? [`server_name: ${confString(o.serverName)}`] : []),
    `host: ${confString(o.host)}`,
    `port: ${o.port}`,
    ...(o.httpPort > 0 ? [`http: ${confString(`${o.host}:${o.httpPort}`)}`] : []),
    "jetstream {",
    `  store_dir: ${confString(o.storeDir)}`,
    "}",
  ];
  return lines.join("\n") + "\n";
}
