/**
 * NATS operations: run a local nats-server with JetStream (used by `pyoco up --with-nats-bootstrap`
 * and `pyoco nats up`). May import lib, domain, config, jetstream.
 *
 *   const nats = await startLocalNatsServer({ port: 4222, httpPort: 8222, dataDir: ".pyoco/nats" });
 *   …                       // nats.url → "nats://127.0.0.1:4222"
 *   await nats.stop();      // SIGTERM, then SIGKILL after 5 s
 */
export { renderServerConf, confString, routeUrlsWithAuth, ANONYMOUS_USER, type ServerConfOptions, type ClusterConfOptions, type TlsConfOptions, type ClientAuthConfOptions } from "./conf.ts";
export { superviseNatsServer, type SupervisedNats } from "./supervisor.ts";
export {
  startLocalNatsServer, findNatsServer, nodeFiles, systemUser, SYSTEM_USER, portAccepts, NatsServerError, INSTALL_HINT,
  type LocalNatsServer, type LocalNatsServerOptions,
} from "./server.ts";
