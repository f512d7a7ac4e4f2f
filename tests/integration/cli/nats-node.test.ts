/**
 * `pyoco nats service` (systemd units), TLS passed through to nats-server and to every client,
 * a token-protected node, and `down`/`leave` refusing what they cannot do.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../../src/cli/index.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { captureIo } from "../../helpers/cli.ts";
import { pyocoEnv, runPyoco } from "../../helpers/cluster.ts";
import { freePort } from "../../helpers/ports.ts";
import { REPO_ROOT } from "../../helpers/worker.ts";

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "pyoco-nats-node-")); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

test("service prints a unit for the command given, and install writes it", async () => {
  const io = captureIo();
  expect(await run(["nats", "service", "--user", "pyoco", "worker", "--tags", "cpu", "--nats-url", "nats://a:4222,nats://b:4222"], io)).toBe(0);
  expect(io.out).toContain("[Service]\nType=simple\nUser=pyoco\n");
  expect(io.out).toMatch(/ExecStart=\S+ \S*src\/main\.ts worker --tags cpu --nats-url nats:\/\/a:4222,nats:\/\/b:4222\n/);
  expect(io.out).toContain("EnvironmentFile=-/etc/pyoco/pyoco.env");
  expect(io.out).toContain("WantedBy=multi-user.target");
  const inst = captureIo();
  expect(await run(["nats", "service", "install", "--unit-dir", dir, "nats", "up", "--host", "0.0.0.0", "--cluster-port", "6222"], inst)).toBe(0);
  const unit = readFileSync(join(dir, "pyoco-nats.service"), "utf8");
  expect(unit).toContain("nats up --host 0.0.0.0 --cluster-port 6222");
  expect(inst.out).toContain("systemctl daemon-reload && systemctl enable --now pyoco-nats");
  const none = captureIo();
  expect(await run(["nats", "service"], none)).toBe(2);
  expect(none.err).toContain("a role is required");
});

test("down and leave refuse a directory without a node, and down needs --confirm", async () => {
  const io = captureIo();
  expect(await run(["nats", "down", "--data-dir", dir, "--confirm"], io)).toBe(1);
  expect(io.err).toContain("no pyoco NATS node here");
  const l = captureIo();
  expect(await run(["nats", "leave", "--data-dir", dir], l)).toBe(1);
});

function openssl(args: string[]): void {
  const r = Bun.spawnSync(["openssl", ...args], { cwd: dir, stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`);
}

async function withNode(args: string[], env: Record<string, string>, body: (url: string) => Promise<void>): Promise<void> {
  const port = freePort();
  const data = join(dir, `n-${port}`);
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "nats", "up", "--port", String(port), "--http-port", "0", "--data-dir", data, ...args],
    { env: pyocoEnv(env), stdout: "ignore", stderr: "pipe" });
  try {
    await waitFor(() => existsSync(join(data, "pyoco.pid")), { timeoutMs: 20_000, what: "the node" });
    await body(`nats://127.0.0.1:${port}`);
    const down = await runPyoco(["nats", "down", "--data-dir", data, "--confirm"], pyocoEnv());
    expect(down.code).toBe(0);
    expect(await proc.exited).toBe(0);
  } finally { proc.kill("SIGKILL"); await proc.exited; }
}

test("TLS: nats up --tls-cert/--tls-key, clients trust it through PYOCO_NATS_TLS_CA", async () => {
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=pyoco-test-ca"]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
  Bun.write(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "san.ext"]);
  await withNode(["--tls-cert", join(dir, "server.pem"), "--tls-key", join(dir, "server.key")], {}, async (url) => {
    const ok = await runPyoco(["nats", "doctor", "--fix", "--nats-url", url], pyocoEnv({ PYOCO_NATS_TLS_CA: join(dir, "ca.pem") }));
    expect(ok.err).toBe("");
    expect(ok.code).toBe(0);
    const untrusted = await runPyoco(["nats", "status", "--nats-url", url], pyocoEnv());
    expect(untrusted.code).toBe(1);
    expect(untrusted.err).toContain("ERR-PYOCO-0003");
  });
}, 60_000);

test("a node with PYOCO_NATS_TOKEN refuses clients without it", async () => {
  await withNode([], { PYOCO_NATS_TOKEN: "t0ken" }, async (url) => {
    expect((await runPyoco(["nats", "doctor", "--fix", "--nats-url", url], pyocoEnv({ PYOCO_NATS_TOKEN: "t0ken" }))).code).toBe(0);
    const refused = await runPyoco(["nats", "status", "--nats-url", url], pyocoEnv());
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("authorization failed");
  });
}, 60_000);
