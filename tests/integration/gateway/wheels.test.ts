/**
 * The wheel registry endpoints against a real nats-server (http-contract.md §1.6): upload
 * (streamed), list, download, delete, history with actor/source, the version policy (409), the
 * size limit (413), validation (422), the object-store header wire format (string values, and
 * string[] values written by NATS.js read back), and API-key mode.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Objm } from "@nats-io/obj";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { apiKeyKvKey, generateApiKey } from "../../../src/domain/api-key.ts";
import { gatewayForFile, startTestGateway } from "../../helpers/gateway.ts";
import { buildWheel, wheelForm } from "../../helpers/wheels.ts";

const stack = gatewayForFile();
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "pyoco-wheels-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function wheelBytes(name: string, version: string, tag = "py3-none-any"): Promise<{ file: string; bytes: Uint8Array }> {
  const path = await buildWheel(dir, { name, version, tag, modules: { [`${name}/__init__.py`]: `VERSION = "${version}"\n` } });
  return { file: path.split("/").pop()!, bytes: readFileSync(path) };
}

async function upload(base: string, file: string, bytes: Uint8Array, fields: { tags?: string; replace?: string } = {}, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/wheels`, { method: "POST", body: wheelForm(file, bytes, fields), headers });
  return { status: res.status, json: await res.json() as any };
}

describe("upload, list, download, delete, history", () => {
  test("a tagged upload is listed, downloads byte for byte, is deleted, and history records both with the source", async () => {
    const { file, bytes } = await wheelBytes("reg_demo", "0.1.0");
    const up = await upload(stack.gw.baseUrl, file, bytes, { tags: " gpu, linux,gpu ," }, { "user-agent": "wheel-test/1", "x-forwarded-for": "10.1.2.3" });
    expect(up.status).toBe(200);
    const sha = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
    expect(up.json).toEqual({
      name: file, size_bytes: bytes.length, digest: expect.stringMatching(/^SHA-256=[A-Za-z0-9_-]+=*$/), sha256_b64: expect.any(String),
      mtime: expect.any(String), nuid: expect.any(String), tags: ["gpu", "linux"], sha256_hex: sha,
    });
    expect(up.json.digest).toBe(`SHA-256=${up.json.sha256_b64}`);

    const list = await stack.gw.call("GET", "/wheels");
    expect(list.json).toEqual([{ ...up.json, sha256_hex: undefined }].map(({ sha256_hex: _, ...rest }) => rest));

    const dl = await fetch(`${stack.gw.baseUrl}/wheels/${file}`);
    expect(dl.headers.get("content-type")).toBe("application/octet-stream");
    expect(dl.headers.get("content-disposition")).toBe(`attachment; filename="${file}"`);
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(new Uint8Array(bytes));

    const hist = await stack.gw.call("GET", "/wheels/history?limit=1");
    expect(hist.json[0]).toEqual({
      event_id: expect.stringMatching(/^[0-9a-f]{32}$/), occurred_at: expect.any(Number), action: "upload", wheel_name: file,
      tags: ["gpu", "linux"], size_bytes: bytes.length, sha256_hex: sha, replace: true,
      actor: { tenant_id: null, api_key_id: null },
      source: { remote_addr: "127.0.0.1", x_forwarded_for: "10.1.2.3", x_real_ip: null, user_agent: "wheel-test/1", host: expect.stringContaining("127.0.0.1:"), scheme: "http" },
    });

    const del = await fetch(`${stack.gw.baseUrl}/wheels/${file}`, { method: "DELETE" });
    expect([del.status, await del.json()]).toEqual([200, { name: file, deleted: true }]);
    expect((await stack.gw.call("DELETE", `/wheels/${file}`)).json).toEqual({ detail: "wheel not found" });
    expect((await stack.gw.call("GET", `/wheels/${file}`)).status).toBe(404);
    expect((await stack.gw.call("GET", "/wheels")).json).toEqual([]);

    const byName = await stack.gw.call("GET", `/wheels/history?wheel_name=${file}`);
    expect(byName.json.map((e: any) => e.action)).toEqual(["delete", "upload"]);
    expect(byName.json[0]).toMatchObject({ tags: ["gpu", "linux"], size_bytes: bytes.length, sha256_hex: sha, replace: null });
    expect((await stack.gw.call("GET", `/wheels/history?wheel_name=${file}&action=DELETE`)).json.map((e: any) => e.action)).toEqual(["delete"]);
  });

  test("the stored meta headers are plain strings (readable by the Python original) in its order", async () => {
    const { file, bytes } = await wheelBytes("hdr_demo", "1.0.0");
    expect((await upload(stack.gw.baseUrl, file, bytes, { tags: "cpu,linux" })).status).toBe(200);
    const nc = await connect({ servers: stack.nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const subject = `$O.pyoco_wheels.M.${Buffer.from(file).toString("base64").replace(/\+/g, "-").replace(/\//g, "_")}`;
      const meta = (await jsm.streams.getMessage("OBJ_pyoco_wheels", { last_by_subj: subject }))!.json<any>();
      expect(meta.headers).toEqual({ "content-type": "application/octet-stream", sha256: expect.stringMatching(/^[0-9a-f]{64}$/), "x-pyoco-wheel-tags": "cpu,linux" });
      expect(Object.keys(meta.headers)).toEqual(["content-type", "sha256", "x-pyoco-wheel-tags"]);
      expect(meta).toMatchObject({ name: file, bucket: "pyoco_wheels", size: bytes.length, deleted: false });
    } finally { await nc.close(); }
  });

  test("wheels written by NATS.js (string[] headers, other header case) are listed with their tags", async () => {
    const nc = await connect({ servers: stack.nats.url });
    try {
      const os = await new Objm(nc).open("pyoco_wheels");
      const h = natsHeaders();
      h.set("X-Pyoco-Wheel-Tags", "arm, bad.tag ,edge");
      await os.putBlob({ name: "jsput-2.0.0-py3-none-any.whl", headers: h }, new Uint8Array([1, 2, 3]));
    } finally { await nc.close(); }
    const item = (await stack.gw.call("GET", "/wheels")).json.find((w: any) => w.name === "jsput-2.0.0-py3-none-any.whl");
    expect(item).toMatchObject({ size_bytes: 3, tags: ["arm", "edge"] });
  });

  test("fields sent after the file still apply", async () => {
    const { file, bytes } = await wheelBytes("late_fields", "1.0.0");
    const form = new FormData();
    form.append("wheel", new File([bytes as BlobPart], file));
    form.append("tags", "late");
    const res = await fetch(`${stack.gw.baseUrl}/wheels`, { method: "POST", body: form });
    expect((await res.json() as any).tags).toEqual(["late"]);
    expect((await stack.gw.call("GET", "/wheels")).json.find((w: any) => w.name === file).tags).toEqual(["late"]);
  });
});

describe("version policy (409)", () => {
  test("same version (any platform tags) and older versions are refused; newer is accepted", async () => {
    const v1 = await wheelBytes("Policy.Pkg", "1.0.0");
    expect((await upload(stack.gw.baseUrl, v1.file, v1.bytes)).status).toBe(200);
    const sameOther = await wheelBytes("policy_pkg", "1.0", "cp311-cp311-manylinux_2_17_x86_64");
    expect(await upload(stack.gw.baseUrl, sameOther.file, sameOther.bytes)).toEqual({ status: 409, json: { detail: "wheel version already exists; bump version" } });
    expect(await upload(stack.gw.baseUrl, v1.file, v1.bytes, { replace: "false" })).toEqual({ status: 409, json: { detail: "wheel version already exists; bump version" } });
    const older = await wheelBytes("policy_pkg", "0.9.0");
    expect(await upload(stack.gw.baseUrl, older.file, older.bytes)).toEqual({ status: 409, json: { detail: "wheel version must be greater than existing latest version" } });
    const rc = await wheelBytes("policy_pkg", "1.0.0rc1");
    expect((await upload(stack.gw.baseUrl, rc.file, rc.bytes)).status).toBe(409);
    const newer = await wheelBytes("policy_pkg", "1.0.1");
    expect((await upload(stack.gw.baseUrl, newer.file, newer.bytes)).status).toBe(200);
    const names = (await stack.gw.call("GET", "/wheels")).json.map((w: any) => w.name);
    expect(names).toContain(v1.file);
    expect(names).toContain(newer.file);
    // Deleted versions do not count: after deleting 1.0.1, 1.0.0 is the latest again.
    await stack.gw.call("DELETE", `/wheels/${newer.file}`);
    const mid = await wheelBytes("policy_pkg", "1.0.0.post1");
    expect((await upload(stack.gw.baseUrl, mid.file, mid.bytes)).status).toBe(200);
  });
});

describe("validation", () => {
  test("bad names, file names, tags, replace values and missing files are 422", async () => {
    const { bytes } = await wheelBytes("valid_one", "1.0.0");
    expect(await upload(stack.gw.baseUrl, "bad name.whl", bytes)).toEqual({ status: 422, json: { detail: "invalid wheel name" } });
    expect(await upload(stack.gw.baseUrl, "notawheel-1.0.whl", bytes)).toEqual({ status: 422, json: { detail: "invalid wheel filename" } });
    expect(await upload(stack.gw.baseUrl, "valid_one-1.0.0-py3-none-any.whl", bytes, { tags: "ok,no.dots" })).toEqual({ status: 422, json: { detail: "invalid wheel tags" } });
    const badReplace = await upload(stack.gw.baseUrl, "valid_one-1.0.0-py3-none-any.whl", bytes, { replace: "maybe" });
    expect(badReplace.status).toBe(422);
    expect(badReplace.json.detail[0]).toMatchObject({ type: "bool_parsing", loc: ["body", "replace"] });
    const noFile = new FormData();
    noFile.append("tags", "x");
    const missing = await fetch(`${stack.gw.baseUrl}/wheels`, { method: "POST", body: noFile });
    expect([missing.status, ((await missing.json()) as any).detail[0].loc]).toEqual([422, ["body", "wheel"]]);
    expect((await stack.gw.call("POST", "/wheels", { json: { wheel: "x" } })).status).toBe(422);
    const broken = await stack.gw.call("POST", "/wheels", { body: "--xx\r\nContent-Disposition: form-data; name=\"wheel\"; filename=\"a-1.0-py3-none-any.whl\"\r\n\r\nabc", headers: { "content-type": "multipart/form-data; boundary=xx" } });
    expect(broken.status).toBe(400);
    expect((await stack.gw.call("GET", "/wheels")).json.map((w: any) => w.name)).not.toContain("a-1.0-py3-none-any.whl");
  });

  test("history filters are checked; DELETE /wheels/history is a 404", async () => {
    expect((await stack.gw.call("GET", "/wheels/history?wheel_name=bad/name")).json).toEqual({ detail: "invalid wheel name" });
    expect((await stack.gw.call("GET", "/wheels/history?action=build")).json).toEqual({ detail: "invalid action" });
    expect((await stack.gw.call("GET", "/wheels/history?limit=0")).status).toBe(422);
    expect((await stack.gw.call("DELETE", "/wheels/history")).json).toEqual({ detail: "wheel not found" });
  });
});

describe("size limit (413)", () => {
  test("a wheel over PYOCO_WHEEL_MAX_BYTES is refused while streaming and leaves nothing behind", async () => {
    const small = await startTestGateway(stack.nats.url, { wheelMaxBytes: 1000 });
    try {
      const big = await buildWheel(dir, { name: "too_big", version: "1.0.0", modules: { "too_big/data.py": `X = "${Buffer.from(crypto.getRandomValues(new Uint8Array(3000))).toString("base64")}"\n` } });
      const bytes = readFileSync(big);
      expect(bytes.length).toBeGreaterThan(1000);
      expect(await upload(small.baseUrl, "too_big-1.0.0-py3-none-any.whl", bytes)).toEqual({ status: 413, json: { detail: "wheel too large" } });
      expect((await small.call("GET", "/wheels")).json.map((w: any) => w.name)).not.toContain("too_big-1.0.0-py3-none-any.whl");
      // Declared far too large: refused before the body is read.
      const declared = await small.call("POST", "/wheels", { body: "x", headers: { "content-type": "multipart/form-data; boundary=b", "content-length": String(5 * 1024 * 1024) } }).catch(() => null);
      if (declared) expect(declared.status).toBe(413);
    } finally { await small.stop(); }
  });
});

describe("API-key mode", () => {
  test("every wheel endpoint refuses a request without a key; with one, history records the actor", async () => {
    const authed = await startTestGateway(stack.nats.url, { authMode: "api_key" });
    try {
      const { record, apiKey } = generateApiKey("team-w", null, Date.now() / 1000);
      await authed.js.apiKeys.create(apiKeyKvKey(record.key_id), record);
      const { file, bytes } = await wheelBytes("authed_pkg", "1.0.0");
      for (const [method, path] of [["GET", "/wheels"], ["GET", "/wheels/history"], ["GET", `/wheels/${file}`], ["DELETE", `/wheels/${file}`]] as const) {
        expect([method, path, (await authed.call(method, path)).status]).toEqual([method, path, 401]);
        expect((await authed.call(method, path, { headers: { "x-api-key": "pyoco_bad.bad" } })).status).toBe(403);
      }
      expect((await upload(authed.baseUrl, file, bytes)).status).toBe(401);
      const key = { "x-api-key": apiKey };
      expect((await upload(authed.baseUrl, file, bytes, {}, key)).status).toBe(200);
      expect((await authed.call("GET", `/wheels/history?wheel_name=${file}`, { headers: key })).json[0].actor).toEqual({ tenant_id: "team-w", api_key_id: record.key_id });
      expect((await authed.call("DELETE", `/wheels/${file}`, { headers: key })).json).toEqual({ name: file, deleted: true });
    } finally { await authed.stop(); }
  });
});
