/** The top-level dispatcher: help, version, unknown commands and flags, exit codes per style. */
import { describe, expect, test } from "bun:test";
import { run } from "../../../src/cli/index.ts";
import { parseFlags, numberFlag } from "../../../src/cli/args.ts";
import { renderError, CliUsageError } from "../../../src/cli/errors.ts";
import { captureIo } from "../../helpers/cli.ts";

describe("pyoco", () => {
  test("--help lists every command", async () => {
    const io = captureIo();
    expect(await run(["--help"], io)).toBe(0);
    for (const c of ["up", "worker", "client", "admin", "nats", "version"]) expect(io.out).toContain(`  ${c} `);
  });
  test("version prints version, bun and commit", async () => {
    const io = captureIo();
    expect(await run(["version"], io)).toBe(0);
    expect(io.out).toMatch(/^pyoco \d+\.\d+\.\d+\nbun \d+\.\d+\.\d+\ncommit .+\n$/);
  });
  test("an unknown command exits 2 with a hint", async () => {
    const io = captureIo();
    expect(await run(["frobnicate"], io)).toBe(2);
    expect(io.err).toContain("unknown command 'frobnicate'");
    expect(io.err).toContain("hint: pass one of the commands, e.g. `pyoco client list --output table`");
  });
  for (const cmd of ["up", "worker", "client", "admin", "nats", "version"]) {
    test(`${cmd} --help answers with usage and an example`, async () => {
      const io = captureIo();
      expect(await run([cmd, "--help"], io)).toBe(0);
      expect(io.out).toContain("usage: pyoco");
      expect(io.out).toContain("example");
    });
  }
});

describe("flag parsing", () => {
  const table = { port: { type: "string", default: "8000", value: "PORT", description: "port" }, mode: { type: "string", choices: ["a", "b"] as const, description: "mode" }, verbose: { type: "boolean", description: "v" } } as const;
  const help = { program: "pyoco test", summary: "s", examples: ["pyoco test"] };

  test("defaults apply and values are typed", () => {
    const r = parseFlags(["--verbose"], table, help);
    expect(!r.help && r.flags).toEqual({ port: "8000", mode: undefined, verbose: true });
  });
  test("an unknown flag is a usage error naming the flag", () => {
    expect(() => parseFlags(["--nope"], table, help)).toThrow(/unrecognized arguments: --nope/);
  });
  test("a bad choice is a usage error listing the choices", () => {
    expect(() => parseFlags(["--mode", "c"], table, help)).toThrow(/invalid choice: 'c' \(choose from 'a', 'b'\)/);
  });
  test("extra positionals are refused", () => {
    expect(() => parseFlags(["x"], table, help)).toThrow(/unrecognized arguments: x/);
  });
  test("numbers are checked", () => {
    expect(() => numberFlag("12x", "port", help, table, { integer: true })).toThrow(/invalid int value: '12x'/);
    expect(numberFlag("80", "port", help, table, { integer: true, min: 1 })).toBe(80);
  });
  test("usage errors: argparse style exits 2, ERR-PYOCO style exits 1 with the fixed header", () => {
    const err = new CliUsageError("unrecognized arguments: --nope", "usage: pyoco x", "pyoco x");
    expect(renderError(err, "argparse")).toEqual({ exitCode: 2, text: "usage: pyoco x\npyoco x: error: unrecognized arguments: --nope\nhint: list the options with `pyoco x --help`\n" });
    const block = renderError(err, "pyoco");
    expect(block.exitCode).toBe(1);
    expect(block.text).toBe("ERR-PYOCO-0018: invalid command-line arguments\n- reason: unrecognized arguments: --nope\n- usage: pyoco x\n- hint: list the options with `pyoco x --help`\n");
  });
});

describe("pyoco worker wheel-sync flags", () => {
  test("--help documents them; contradictory or out-of-range values are usage errors (exit 1) before anything starts", async () => {
    const help = captureIo();
    expect(await run(["worker", "--help"], help)).toBe(0);
    for (const f of ["--wheel-sync ", "--no-wheel-sync", "--wheel-sync-dir DIR", "--wheel-sync-interval-sec SEC", "--wheel-install-timeout-sec SEC"]) expect(help.out).toContain(f);
    const both = captureIo({ PYOCO_PYTHON: "/nonexistent/python" });
    expect(await run(["worker", "--wheel-sync", "--no-wheel-sync"], both)).toBe(1);
    expect(both.err).toContain("--no-wheel-sync: not allowed with argument --wheel-sync");
    const tooFast = captureIo({ PYOCO_PYTHON: "/nonexistent/python" });
    expect(await run(["worker", "--wheel-sync-interval-sec", "0.01"], tooFast)).toBe(1);
    expect(tooFast.err).toContain("wheel-sync-interval-sec");
    const badDir = captureIo({ PYOCO_PYTHON: "/nonexistent/python" });
    expect(await run(["worker", "--wheel-sync", "--wheel-sync-dir", "/proc/no-such/dir"], badDir)).toBe(1);
    expect(badDir.err).toContain("cannot create the wheel sync directory");
    expect(badDir.err).toContain("hint: pass a writable --wheel-sync-dir");
  });
});
