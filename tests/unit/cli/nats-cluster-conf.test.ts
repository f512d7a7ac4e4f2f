/** Cluster, auth and TLS blocks of the nats-server config pyoco writes; client connection options from URLs and settings. */
import { describe, expect, test } from "bun:test";
import { parseSeeds } from "../../../src/cli/nats-node.ts";
import { CliUsageError } from "../../../src/cli/errors.ts";
import { natsConnectionOptions, natsServers, redactNatsUrl } from "../../../src/jetstream/connection.ts";
import { renderServerConf, routeUrlsWithAuth } from "../../../src/nats-ops/index.ts";

const base = { host: "0.0.0.0", port: 4222, httpPort: 0, storeDir: "/s" };

describe("renderServerConf for a cluster node", () => {
  test("routes carry the route credentials; clients get their own account beside the system account", () => {
    const conf = renderServerConf({
      ...base, serverName: "a", auth: { user: "app", password: "pw" }, systemUser: { user: "_sys", password: "sp" },
      cluster: { name: "pyoco", port: 6222, routes: ["nats-route://10.0.0.1:6222", "nats-route://x:y@10.0.0.2:6222"], user: "r", password: "rp" },
      lameDuckDurationSec: 30, pidFile: "/s/pid",
    });
    expect(conf).toContain('server_name: "a"');
    expect(conf).toContain('PYOCO { jetstream: enabled, users: [ { user: "app", password: "pw" } ] }');
    expect(conf).toContain('SYS { users: [ { user: "_sys", password: "sp" } ] }');
    expect(conf).toContain("system_account: SYS");
    expect(conf).not.toContain("no_auth_user");
    expect(conf).toContain('"nats-route://r:rp@10.0.0.1:6222"');
    expect(conf).toContain('"nats-route://x:y@10.0.0.2:6222"');
    expect(conf).toContain('lame_duck_duration: "30s"');
    expect(conf).toContain('pid_file: "/s/pid"');
  });
  test("without client auth, anonymous clients land in the pyoco account", () => {
    const conf = renderServerConf({ ...base, systemUser: { user: "_sys", password: "sp" } });
    expect(conf).toContain('no_auth_user: "pyoco"');
  });
  test("a single node with a token or TLS", () => {
    expect(renderServerConf({ ...base, auth: { token: "t0k" } })).toContain('authorization {\n  token: "t0k"\n}');
    const tls = renderServerConf({ ...base, tls: { certFile: "/c.pem", keyFile: "/k.pem", caFile: "/ca.pem", verify: true } });
    expect(tls).toContain('tls {\n  cert_file: "/c.pem"\n  key_file: "/k.pem"\n  ca_file: "/ca.pem"\n  verify: true\n}');
  });
  test("route credentials are URL-encoded", () => {
    expect(routeUrlsWithAuth(["nats-route://h:6222"], "u@x", "p:w")).toEqual(["nats-route://u%40x:p%3Aw@h:6222"]);
  });
});

describe("client connection options", () => {
  test("a seed list becomes the server list; userinfo becomes credentials and is redacted in logs", () => {
    expect(natsServers(" nats://a:1 , nats://b:2,")).toEqual(["nats://a:1", "nats://b:2"]);
    const o = natsConnectionOptions("nats://u:p%40ss@a:1,nats://b:2");
    expect(o.servers).toEqual(["a:1", "b:2"]);
    expect([o.user, o.pass]).toEqual(["u", "p@ss"]);
    expect(redactNatsUrl("nats://u:p@a:1,nats://b:2")).toBe("nats://***@a:1,nats://b:2");
  });
  test("settings win over the URL; a token; TLS files", () => {
    const o = natsConnectionOptions("tls://u:p@a:1", { user: "x", password: "y", tlsCa: "/ca.pem" });
    expect([o.user, o.pass]).toEqual(["x", "y"]);
    expect(o.tls).toEqual({ caFile: "/ca.pem" });
    expect(natsConnectionOptions("nats://a:1", { token: "t" }).token).toBe("t");
  });
  test("an unreadable creds file is a configuration error naming the variable", () => {
    expect(() => natsConnectionOptions("nats://a:1", { credsFile: "/nonexistent.creds" })).toThrow(/PYOCO_NATS_CREDS|credentials file/);
  });
});

describe("seed routes", () => {
  test("host:port gets the scheme; lists split on commas; junk is a usage error", () => {
    expect(parseSeeds(["10.0.0.1:6222,nats-route://b:6222", "c:7"], "p", "u")).toEqual(["nats-route://10.0.0.1:6222", "nats-route://b:6222", "nats-route://c:7"]);
    expect(() => parseSeeds(["http://x"], "p", "u")).toThrow(CliUsageError);
  });
});
