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
    const path = await buildWheel(dir, {
      name: "cli_pkg", version: "2.0.0", modules: { "cli_pkg/__init__.py": "V = 2\n" },
      description: "Tasks for the CLI test. Use them from flow.yaml as cli_pkg:hello; nothing else to set up.", entryPoints: "[pyoco.tasks]\nhello = cli_pkg:hello\n",
    });
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

  test("preflight as the original: strict refuses a wheel without entry points or usage doc before any request; warn uploads with warnings; off says nothing", async () => {
    const bare = await buildWheel(dir, { name: "bare_pkg", version: "1.0.0", modules: { "bare_pkg/__init__.py": "" } });
    const file = bare.split("/").pop()!;
    const strict = await client("wheel-upload", "--wheel-file", file);
    expect(strict.code).toBe(1);
    expect(strict.err).toContain("ERR-PYOCO-0018");
    expect(strict.err).toContain("wheel preflight failed: usage documentation is missing");
    expect(strict.err).toContain("entry_points are missing (dist-info/entry_points.txt)");
    expect(strict.err).toContain("use --preflight warn/off");
    expect((await client("wheels")).json.map((w: any) => w.name)).not.toContain(file);   // nothing was sent

    const allowed = await client("wheel-upload", "--wheel-file", file, "--allow-no-entry-points", "--allow-missing-usage-doc", "--tags", "a");
    expect(allowed.code).toBe(0);
    expect(allowed.err.split("\n").filter(Boolean)).toEqual([
      "[pyoco-client][preflight][warn] usage documentation seems missing",
      "[pyoco-client][preflight][warn] entry_points are missing",
    ]);

    const v2 = await buildWheel(dir, { name: "bare_pkg", version: "2.0.0", modules: { "bare_pkg/__init__.py": "" } });
    const warn = await client("wheel-upload", "--wheel-file", v2, "--preflight", "warn");
    expect(warn.code).toBe(0);
    expect(warn.err).toContain("[pyoco-client][preflight][warn] entry_points are missing (dist-info/entry_points.txt)");

    const notZip = join(dir, "junk-1.0-py3-none-any.whl");
    await Bun.write(notZip, "not a zip at all");
    expect((await client("wheel-upload", "--wheel-file", notZip)).err).toContain("wheel preflight failed: wheel file is not a valid zip archive");
    const v3 = await buildWheel(dir, { name: "bare_pkg", version: "3.0.0", modules: { "bare_pkg/__init__.py": "" } });
    const off = await client("wheel-upload", "--wheel-file", v3, "--preflight", "off");
    expect([off.code, off.err]).toEqual([0, ""]);
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
