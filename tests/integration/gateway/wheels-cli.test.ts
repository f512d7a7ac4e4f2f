/**
 * `pyoco client wheels | wheel-upload | wheel-delete | wheel-history` in-process against a real
 * gateway: JSON and table output, the streamed upload, 409 as an ERR-PYOCO-HTTP block, usage errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientRunner } from "../../helpers/cli.ts";
import { gatewayForFile } from "../../helpers/gateway.ts";
import { buildWheel } from "../../helpers/wheels.ts";

const stack = gatewayForFile();
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "pyoco-wheel-cli-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const client = clientRunner(() => stack.gw.baseUrl, () => dir);

describe("pyoco client wheel commands", () => {
  test("upload (relative path, tags), list as JSON and table, history, delete", async () => {
    const path = await buildWheel(dir, { name: "cli_pkg", version: "2.0.0", modules: { "cli_pkg/__init__.py": "V = 2\n" } });
    const file = path.split("/").pop()!;
    const up = await client("wheel-upload", "--wheel-file", file, "--tags", "cpu, gpu");
    expect([up.code, up.err]).toEqual([0, ""]);
    expect(up.json).toMatchObject({ name: file, tags: ["cpu", "gpu"], sha256_hex: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(up.out).toContain('"name": "cli_pkg-2.0.0-py3-none-any.whl"');   // the original's json.dumps spacing

    expect((await client("wheels")).json.map((w: any) => w.name)).toEqual([file]);
    const table = (await client("wheels", "--output", "table")).out.split("\n");
    expect(table[0]).toMatch(/^name\s+size\s+tags\s+mtime\s+sha256\s*$/);
    expect(table[1]).toContain(file);
    expect(table[1]).toContain("cpu,gpu");

    const again = await client("wheel-upload", "--wheel-file", file, "--no-replace");
    expect(again.code).toBe(1);
    expect(again.err).toContain("ERR-PYOCO-HTTP: request failed");
    expect(again.err).toContain("HTTP 409 POST /wheels");

    expect((await client("wheel-delete", "--name", file)).json).toEqual({ name: file, deleted: true });
    const hist = await client("wheel-history", "--wheel-name", file);
    expect(hist.json.map((e: any) => e.action)).toEqual(["delete", "upload"]);
    const onlyUploads = await client("wheel-history", "--action", "upload", "--limit", "5", "--output", "table");
    expect(onlyUploads.out.split("\n")[0]).toMatch(/^occurred_at\s+action\s+wheel_name\s+tags\s+actor\s+source\s*$/);
    expect(onlyUploads.out).toContain("127.0.0.1");
    expect(onlyUploads.out).not.toContain(" delete ");
  });

  test("usage errors: missing --wheel-file, bad tags, a missing file, --replace with --no-replace", async () => {
    const missing = await client("wheel-upload");
    expect([missing.code, missing.err]).toEqual([1, expect.stringContaining("the following arguments are required: --wheel-file")]);
    expect((await client("wheel-upload", "--wheel-file", "x.whl", "--tags", "a.b")).err).toContain("invalid tag 'a.b'");
    const nofile = await client("wheel-upload", "--wheel-file", "nope-1.0-py3-none-any.whl");
    expect([nofile.code, nofile.err]).toEqual([1, expect.stringContaining("file I/O error")]);
    expect((await client("wheel-upload", "--wheel-file", "x.whl", "--replace", "--no-replace")).code).toBe(1);
    expect((await client("wheel-delete")).err).toContain("--name");
    expect((await client("wheel-history", "--action", "build")).code).toBe(1);
  });
});
