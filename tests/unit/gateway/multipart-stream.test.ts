/** The streaming multipart reader: any chunking of the body gives the same parts and bytes. */
import { describe, expect, test } from "bun:test";
import { MultipartError, MultipartReader, multipartBoundary } from "../../../src/gateway/multipart-stream.ts";

function streamOf(bytes: Uint8Array, sizes: () => number): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) { c.close(); return; }
      const n = Math.max(1, sizes());
      c.enqueue(bytes.slice(off, off + n));
      off += n;
    },
  });
}

async function readAll(body: Uint8Array, boundary: string, sizes: () => number) {
  const r = new MultipartReader(streamOf(body, sizes), boundary);
  const parts: { name: string; filename: string | null; type: string | null; data: Uint8Array }[] = [];
  for (let p = await r.next(); p; p = await r.next()) {
    const chunks: Uint8Array[] = [];
    for await (const c of r.data()) chunks.push(new Uint8Array(c));
    parts.push({ name: p.name, filename: p.filename, type: p.contentType, data: new Uint8Array(Buffer.concat(chunks)) });
  }
  return parts;
}

describe("MultipartReader", () => {
  test("fields and a binary file survive every chunking, including 1-byte chunks", async () => {
    const file = crypto.getRandomValues(new Uint8Array(300_000));
    file.set(new TextEncoder().encode("\r\n--xyz"), 1000);   // looks like a delimiter but is not one
    const form = new FormData();
    form.append("tags", "cpu,gpu");
    form.append("wheel", new File([file], "pkg-1.0-py3-none-any.whl", { type: "application/octet-stream" }));
    form.append("replace", "false");
    const req = new Request("http://x/", { method: "POST", body: form });
    const boundary = multipartBoundary(req.headers.get("content-type"))!;
    const body = new Uint8Array(await req.arrayBuffer());
    for (const sizes of [() => 1 + Math.floor(Math.random() * 3), () => 7, () => 65536, () => 1 + Math.floor(Math.random() * 5000)]) {
      const parts = await readAll(body, boundary, sizes);
      expect(parts.map((p) => [p.name, p.filename])).toEqual([["tags", null], ["wheel", "pkg-1.0-py3-none-any.whl"], ["replace", null]]);
      expect(new TextDecoder().decode(parts[0]!.data)).toBe("cpu,gpu");
      expect(parts[1]!.data).toEqual(file);
      expect(parts[1]!.type).toBe("application/octet-stream");
      expect(new TextDecoder().decode(parts[2]!.data)).toBe("false");
    }
    const tiny = await readAll(await smallBody("q"), "q", () => 1);
    expect(tiny.map((p) => new TextDecoder().decode(p.data))).toEqual(["a\r\n-b", "xyz"]);
  });

  test("unread parts are skipped; a body cut short is a MultipartError", async () => {
    const body = await smallBody("B0undary");
    const r = new MultipartReader(streamOf(body, () => 5), "B0undary");
    expect((await r.next())!.name).toBe("f1");
    expect((await r.next())!.name).toBe("f2");
    expect(await r.text(100)).toBe("xyz");
    expect(await r.next()).toBeNull();
    const cut = new MultipartReader(streamOf(body.slice(0, body.length - 20), () => 9), "B0undary");
    await cut.next();
    await expect((async () => { for await (const _ of cut.data()) { /* */ } await cut.next(); for await (const _ of cut.data()) { /* */ } })()).rejects.toBeInstanceOf(MultipartError);
    expect(multipartBoundary("application/json")).toBeNull();
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe("a b");
  });
});

async function smallBody(boundary: string): Promise<Uint8Array> {
  return new TextEncoder().encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="f1"\r\n\r\na\r\n-b\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="f2"; filename="x.bin"\r\n\r\nxyz\r\n--${boundary}--\r\n`);
}
