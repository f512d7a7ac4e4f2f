/** The nats-server config `pyoco up --with-nats-bootstrap` writes, and the binary lookup errors. */
import { describe, expect, test } from "bun:test";
import { findNatsServer, NatsServerError, renderServerConf } from "../../../src/nats-ops/index.ts";

describe("renderServerConf", () => {
  test("listens where asked, enables JetStream in the store dir, quotes paths", () => {
    expect(renderServerConf({ host: "127.0.0.1", port: 4222, httpPort: 8222, storeDir: '/data/my "nats"' })).toBe([
      "# Written by pyoco on every start; edits are overwritten.",
      'host: "127.0.0.1"', "port: 4222", 'http: "127.0.0.1:8222"', "jetstream {", '  store_dir: "/data/my \\"nats\\""', "}", "",
    ].join("\n"));
  });
  test("a monitor port of 0 leaves monitoring off", () => {
    expect(renderServerConf({ host: "0.0.0.0", port: 1, httpPort: 0, storeDir: "/s" })).not.toContain("http:");
  });
});

describe("findNatsServer", () => {
  test("an explicit path that does not exist is an error with an install hint", () => {
    try { findNatsServer("/nonexistent/nats-server"); throw new Error("no error"); } catch (err) {
      expect(err).toBeInstanceOf(NatsServerError);
      expect((err as NatsServerError).hint).toContain("apt-get install nats-server");
    }
  });
  test("without a path it finds the installed binary (PATH, then the sbin directories)", () => {
    expect(findNatsServer(undefined, { PATH: "/nonexistent" })).toMatch(/nats-server$/);
  });
});
