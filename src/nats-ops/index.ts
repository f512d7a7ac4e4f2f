/**
 * NATS operations: run a local nats-server with JetStream (used by `pyoco up --with-nats-bootstrap`
 * and `pyoco nats up`). May import lib, domain, config, jetstream.
 *
 *   const nats = await startLocalNatsServer({ port: 4222, httpPort: 8222, dataDir: ".pyoco/nats" });
 *   …                       // nats.url → "nats://127.0.0.1:4222"
 *   await nats.stop();      // SIGTERM, then SIGKILL after 5 s
 */
export { renderServerConf, confString, type ServerConfOptions } from "./conf.ts";
export {
  startLocalNatsServer, findNatsServer, portAccepts, NatsServerError, INSTALL_HINT,
  type LocalNatsServer, type LocalNatsServerOptions,
} from "./server.ts";
