/**
 * The compiled binary end to end: `dist/pyoco up --with-nats-bootstrap` in an empty directory
 * (free ports, temp store), `pyoco client submit` and `pyoco client list --output table` against
 * it, then SIGTERM — the gateway and the nats-server it started must be gone.
 * The binary is built by CI before the tests (`bun run build`); without it this file is skipped.
 * PYOCO_BINARY may point at another build.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../helpers/ports.ts";
import { isAlive } from "../helpers/processes.ts";
import { waitFor } from "../../src/lib/async.ts";

const BINARY = resolve(process.env.PYOCO_BINARY ?? join(import.meta.dir, "../../dist/pyoco"));
const present = existsSync(BINARY);
if (!present) process.stderr.write(`tests/e2e/binary.test.ts: skipped, ${BINARY} is missing (run \`bun run build\` first)\n`);



let cwd: string;
let up: ReturnType<typeof Bun.spawn> | null = null;
let upErr = "";
const env = { PATH: `${process.env.PATH ?? ""}:/usr/sbin`, HOME: process.env.HOME ?? "/tmp", PYOCO_LOAD_DOTENV: "0" };

beforeAll(() => { cwd = mkdtempSync(join(tmpdir(), "pyoco-e2e-")); });
afterAll(async () => {
  if (up && up.exitCode === null) { up.kill("SIGKILL"); await up.exited; }
  const natsPid = Number(/nats-server \(pid (\d+)\)/.exec(upErr)?.[1]);
  if (natsPid && isAlive(natsPid)) process.kill(natsPid, "SIGKILL");
  rmSync(cwd, { recursive: true, force: true });
});

async function pyoco(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([BINARY, ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

describe.skipIf(!present)("compiled binary", () => {
  test("copied alone into an empty directory it answers --help and version, ignoring a local bunfig.toml and .env", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pyoco-alone-"));
    try {
      copyFileSync(BINARY, join(dir, "pyoco"));
      // If the binary auto-loaded these, the preload of a missing file would make it fail.
      writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./missing-preload.ts"]\n');
      writeFileSync(join(dir, ".env"), "NODE_OPTIONS=--definitely-not-an-option\n");
      for (const args of [["--help"], ["version"], ["client", "--help"]]) {
        const p = Bun.spawn([join(dir, "pyoco"), ...args], { cwd: dir, env: {}, stdout: "pipe", stderr: "pipe" });
        const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
        expect({ args, code, err }).toEqual({ args, code: 0, err: "" });
        expect(out).toContain("pyoco");
      }
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  test("up --with-nats-bootstrap serves client submit and list, and stops NATS with it", async () => {
    const [port, natsPort, httpPort] = [freePort(), freePort(), freePort()];
    const server = `http://127.0.0.1:${port}`;
    up = Bun.spawn([BINARY, "up", "--with-nats-bootstrap", "--port", String(port), "--nats-client-port", String(natsPort),
      "--nats-http-port", String(httpPort), "--data-dir", "nats"], { cwd, env, stdout: "ignore", stderr: "pipe" });
    const decoder = new TextDecoder();
    void (async () => { for await (const chunk of up!.stderr as ReadableStream<Uint8Array>) upErr += decoder.decode(chunk, { stream: true }); })();

    await waitFor(async () => (await fetch(`${server}/health`).catch(() => null))?.status === 200, { timeoutMs: 20_000, what: `pyoco up to answer /health (stderr: ${upErr})` });
    expect(existsSync(join(cwd, "nats", "jetstream"))).toBe(true);

    const submit = await pyoco("client", "--server", server, "submit", "--flow-name", "main", "--param", "x=1", "--tag", "e2e");
    expect(submit.code).toBe(0);
    const runId = JSON.parse(submit.out).run_id as string;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);

    const list = await pyoco("client", "--server", server, "list", "--output", "table");
    expect(list.code).toBe(0);
    expect(list.out.split("\n")[0]).toMatch(/^run_id +status +flow_name +tag +updated_at/);
    expect(list.out).toContain(runId);

    // The dashboard is embedded: the page, its stylesheet and the bundled TypeScript (no files on disk).
    const page = await fetch(`${server}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/static/app.js">');
    const js = await fetch(`${server}/static/app.js`);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(await js.text()).toContain("Pyoco Control Deck");
    expect((await fetch(`${server}/static/styles.css`)).status).toBe(200);

    const natsPid = Number(/nats-server \(pid (\d+)\)/.exec(upErr)![1]);
    expect(isAlive(natsPid)).toBe(true);
    up.kill("SIGTERM");
    expect(await up.exited).toBe(0);
    await waitFor(() => !isAlive(natsPid), { timeoutMs: 10_000, what: "nats-server to be gone" });
    expect(upErr).toContain("pyoco: stopped");
  });

  test("install-links creates the original's command names; each answers as that program", async () => {
    const bin = mkdtempSync(join(tmpdir(), "pyoco-links-"));
    try {
      const r = await pyoco("install-links", bin);
      expect(r.code).toBe(0);
      for (const name of ["pyoco-server", "pyoco-worker", "pyoco-client", "pyoco-server-admin"]) expect(r.out).toContain(`created ${join(bin, name)} -> `);
      const run = async (name: string, ...args: string[]) => {
        const p = Bun.spawn([join(bin, name), ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
        const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
        return { out, err, code };
      };
      expect((await run("pyoco-server", "--help")).out).toContain("usage: pyoco up");
      expect((await run("pyoco-worker", "--help")).out).toContain("--run-once");
      expect((await run("pyoco-server-admin", "api-key", "--help")).out).toContain("revoke --key-id ID");
      const client = await run("pyoco-client", "--server", `http://127.0.0.1:${freePort()}`, "list");
      expect(client.code).toBe(1);
      expect(client.err).toStartWith("ERR-PYOCO-HTTP: connection error\n");
      // Again: links that are already right are kept; anything else in the way needs --force.
      expect((await pyoco("install-links", bin)).out).toContain(`ok      ${join(bin, "pyoco-server")}`);
    } finally { rmSync(bin, { recursive: true, force: true }); }
  });

  test("client errors keep their exit code and block in the binary", async () => {
    const r = await pyoco("client", "--server", `http://127.0.0.1:${freePort()}`, "get", "some-run");
    expect(r.code).toBe(1);
    expect(r.err).toStartWith("ERR-PYOCO-HTTP: connection error\n");
  });
});
