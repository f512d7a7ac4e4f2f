/** The original's command names: a link named pyoco-server/-worker/-client/-server-admin runs that program. */
import { describe, expect, test } from "bun:test";
import { dropInArgv } from "../../../src/cli/drop-in.ts";
import { runAs } from "../../../src/cli/index.ts";
import { captureIo } from "../../helpers/cli.ts";

describe("dropInArgv", () => {
  test("pyoco-server: no args, flags first, or up → up (the original's normalisation)", () => {
    expect(dropInArgv("pyoco-server", [])).toEqual(["up"]);
    expect(dropInArgv("pyoco-server", ["--port", "9001"])).toEqual(["up", "--port", "9001"]);
    expect(dropInArgv("pyoco-server", ["up", "--port", "9001"])).toEqual(["up", "--port", "9001"]);
    expect(dropInArgv("pyoco-server", ["frob"])).toEqual(["frob"]);
  });
  test("worker, client and admin names prefix their subcommand; pyoco itself is unchanged", () => {
    expect(dropInArgv("pyoco-worker", ["--tags", "cpu"])).toEqual(["worker", "--tags", "cpu"]);
    expect(dropInArgv("pyoco-client", ["list"])).toEqual(["client", "list"]);
    expect(dropInArgv("pyoco-server-admin", ["api-key", "list"])).toEqual(["admin", "api-key", "list"]);
    expect(dropInArgv("pyoco", ["client", "list"])).toEqual(["client", "list"]);
    expect(dropInArgv("bun", ["up"])).toEqual(["up"]);
  });
});

describe("runAs answers with the original program's help", () => {
  for (const [name, expected] of [["pyoco-server", "usage: pyoco up"], ["pyoco-worker", "--run-once"], ["pyoco-client", "subcommands:"],
    ["pyoco-server-admin", "api-key"]] as const) {
    test(`${name} --help`, async () => {
      const io = captureIo();
      expect(await runAs(name, ["--help"], io)).toBe(0);
      expect(io.out).toContain(expected);
    });
  }
  test("pyoco-server takes the original's flags, --worker-poll-timeout included", async () => {
    const io = captureIo();
    expect(await runAs("pyoco-server", ["--help"], io)).toBe(0);
    for (const flag of ["--host", "--port", "--with-nats-bootstrap", "--with-worker", "--worker-poll-timeout"]) expect(io.out).toContain(flag);
  });
  test("pyoco-worker takes --poll-timeout and --run-once", async () => {
    const io = captureIo();
    expect(await runAs("pyoco-worker", ["--help"], io)).toBe(0);
    expect(io.out).toContain("--poll-timeout SEC");
    expect(io.out).toContain("--run-once");
  });
});
