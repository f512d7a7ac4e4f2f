/**
 * The wheel registry's object store (`pyoco_wheels`, wire-contract.md §1.3).
 *
 * Reads go through NATS.js's object store. Writes do not: `put` streams chunks itself so that
 * (1) an upload is never held in memory (one 128 KiB chunk at a time, a few in flight),
 * (2) the size limit is enforced while streaming, and (3) the meta headers are written as plain
 * strings, the form Python readers understand (NATS.js would write string[]; §1.3 "trap").
 * The object layout is the standard one (chunks on `$O.<b>.C.<nuid>`, meta on
 * `$O.<b>.M.<base64url(name)>` with a subject rollup), so nats-py, NATS.js and Go read it.
 */
import { Objm, type ObjectInfo, type ObjectStore } from "@nats-io/obj";
import { headers as natsHeaders, nuid } from "@nats-io/transport-node";
import { mapNatsError, type Connection } from "./connection.ts";

const CHUNK_BYTES = 128 * 1024;
/** Chunk publishes awaiting their ack at once (order is kept: one connection, sent in order). */
const IN_FLIGHT = 8;

export interface WheelObject {
  name: string;
  nuid: string;
  size: number;
  /** `SHA-256=<base64url with padding>` */
  digest: string;
  /** ISO 8601 string as stored. */
  mtime: string;
  /** Header values as stored (string[] after NATS.js normalisation). */
  headers: Record<string, string[]>;
}

/** The upload exceeded the byte limit (checked while streaming). */
export class WheelTooLargeError extends Error {
  constructor(readonly maxBytes: number) { super(`wheel larger than ${maxBytes} bytes`); this.name = "WheelTooLargeError"; }
}

/** The object store refused the chunks: its max_bytes (PYOCO_WHEEL_MAX_BYTES) is used up. */
export class WheelStoreFullError extends Error {
  constructor(reason: string) { super(`wheel store is full: ${reason}`); this.name = "WheelStoreFullError"; }
}

/** `list()` yields the raw meta JSON (headers as stored: string or string[]); `info()` an ObjectInfo with MsgHdrs. */
function toWheelObject(info: ObjectInfo): WheelObject {
  const headers: Record<string, string[]> = {};
  try {
    const h = (info as unknown as { headers?: unknown }).headers;
    if (h && typeof (h as { keys?: unknown }).keys === "function" && typeof (h as { values?: unknown }).values === "function") {
      const m = h as NonNullable<ObjectInfo["headers"]>;
      for (const key of m.keys()) headers[key] = m.values(key);
    } else if (h && typeof h === "object") {
      for (const [key, v] of Object.entries(h as Record<string, unknown>)) headers[key] = Array.isArray(v) ? v.map(String) : [String(v)];
    }
  } catch { /* malformed headers: treat as none */ }
  return { name: info.name, nuid: info.nuid, size: info.size, digest: info.digest, mtime: info.mtime, headers };
}

function base64UrlPadded(s: string): string {
  return Buffer.from(s, "utf8").toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

export class WheelStore {
  #os: Promise<ObjectStore> | null = null;

  constructor(private readonly conn: Connection, readonly bucket: string) {}

  #store(): Promise<ObjectStore> {
    this.conn.assertConnected();
    this.#os ??= new Objm(this.conn.nc).open(this.bucket).catch((err) => { this.#os = null; throw err; });
    return this.#os;
  }

  async #call<T>(fn: (os: ObjectStore) => Promise<T>): Promise<T> {
    try { return await fn(await this.#store()); } catch (err) { throw mapNatsError(err, "wheel store"); }
  }

  /**
   * Every live (not deleted) object. An empty store is `[]`. Reads the last meta message of each
   * subject directly (stream info with a subject filter, then direct gets) instead of NATS.js's
   * `list()`, whose history-only consumer could wait forever when its pending count and the
   * delivered messages disagreed (seen with two workers listing while a wheel was uploaded).
   */
  list(): Promise<WheelObject[]> {
    return this.#call(async () => {
      const jsm = await this.conn.jsm();
      const stream = `OBJ_${this.bucket}`;
      const info = await jsm.streams.info(stream, { subjects_filter: `$O.${this.bucket}.M.>` });
      const out: WheelObject[] = [];
      for (const subject of Object.keys(info.state.subjects ?? {}).sort()) {
        let meta: Record<string, unknown>;
        try {
          const m = await jsm.streams.getMessage(stream, { last_by_subj: subject });
          if (!m) continue;
          meta = m.json<Record<string, unknown>>();
        } catch (err) {
          if ((err as { code?: number }).code === 10037 || /no message found/i.test(String(err))) continue;   // purged meanwhile
          throw err;
        }
        if (!meta || typeof meta !== "object" || meta.deleted === true || typeof meta.name !== "string") continue;
        out.push(toWheelObject(meta as unknown as ObjectInfo));
      }
      return out;
    });
  }

  /** One live object's info, or null. */
  info(name: string): Promise<WheelObject | null> {
    return this.#call(async (os) => {
      const i = await os.info(name);
      return i && !i.deleted ? toWheelObject(i) : null;
    });
  }

  /**
   * The object's bytes as a stream, or null when missing. Chunks are fetched one by one with
   * "next message for subject" gets (no consumer to set up or leak); the stream errors when the
   * SHA-256 digest or the size does not match the meta.
   */
  open(name: string): Promise<{ info: WheelObject; data: ReadableStream<Uint8Array> } | null> {
    return this.#call(async (os) => {
      const i = await os.info(name);
      if (!i || i.deleted) return null;
      const info = toWheelObject(i);
      const jsm = await this.conn.jsm();
      const stream = `OBJ_${this.bucket}`;
      const subject = `$O.${this.bucket}.C.${info.nuid}`;
      const sha = new Bun.CryptoHasher("sha256");
      let seq = 0, received = 0;
      const data = new ReadableStream<Uint8Array>({
        pull: async (controller) => {
          try {
            if (received >= info.size) {
              const digest = `SHA-256=${Buffer.from(sha.digest() as Uint8Array).toString("base64").replace(/\+/g, "-").replace(/\//g, "_")}`;
              if (digest !== info.digest) throw new Error(`corrupt object ${name}: digest ${digest} does not match ${info.digest}`);
              controller.close();
              return;
            }
            const m = await jsm.streams.getMessage(stream, { seq: seq + 1, next_by_subj: subject } as unknown as { seq: number });
            if (!m) throw new Error(`object ${name} is missing chunks after ${received} of ${info.size} bytes`);
            seq = m.seq;
            received += m.data.length;
            if (received > info.size) throw new Error(`object ${name} has more bytes than its meta says (${info.size})`);
            sha.update(m.data);
            controller.enqueue(m.data);
          } catch (err) {
            controller.error(mapNatsError(err, "wheel store"));
          }
        },
      });
      return { info, data };
    });
  }

  /** Mark the object deleted and purge its chunks. False when it did not exist. */
  delete(name: string): Promise<boolean> {
    return this.#call(async (os) => {
      const i = await os.info(name);
      if (!i || i.deleted) return false;
      await os.delete(name);
      return true;
    });
  }

  /**
   * Stream `source` into the store as `name` with string-valued meta `headers` (+ `sha256` hex).
   * Throws WheelTooLargeError once more than `maxBytes` arrived (maxBytes ≤ 0: no limit),
   * WheelStoreFullError when the store is full; on any failure the chunks already written are purged.
   */
  async put(name: string, source: AsyncIterable<Uint8Array>, opts: {
    /** Meta headers, or a function called after the last byte (e.g. to read form fields that follow the file). */
    headers: Record<string, string> | (() => Promise<Record<string, string>>);
    maxBytes: number;
  }): Promise<WheelObject & { sha256Hex: string }> {
    const os = await this.#call(async (o) => o);
    const previous = await this.info(name);
    const js = this.conn.js;
    const id = nuid.next();
    const chunkSubject = `$O.${this.bucket}.C.${id}`;
    const sha = new Bun.CryptoHasher("sha256");
    let size = 0, chunks = 0;
    const pending = new Set<Promise<unknown>>();
    let failure: unknown = null;
    const publish = async (payload: Uint8Array) => {
      const p = js.publish(chunkSubject, payload).catch((err) => { failure ??= err; });
      pending.add(p);
      void p.finally(() => pending.delete(p));
      if (pending.size >= IN_FLIGHT) await Promise.race(pending);
      if (failure) throw failure;
    };
    try {
      let buf = new Uint8Array(CHUNK_BYTES);
      let filled = 0;
      for await (const piece of source) {
        size += piece.length;
        if (opts.maxBytes > 0 && size > opts.maxBytes) throw new WheelTooLargeError(opts.maxBytes);
        sha.update(piece);
        let off = 0;
        while (off < piece.length) {
          const n = Math.min(CHUNK_BYTES - filled, piece.length - off);
          buf.set(piece.subarray(off, off + n), filled);
          filled += n; off += n;
          if (filled === CHUNK_BYTES) { chunks++; await publish(buf); buf = new Uint8Array(CHUNK_BYTES); filled = 0; }
        }
      }
      if (filled > 0) { chunks++; await publish(buf.slice(0, filled)); }
      await Promise.all(pending);
      if (failure) throw failure;
      const digestBytes = sha.digest() as Uint8Array;
      const sha256Hex = Buffer.from(digestBytes).toString("hex");
      const headers = typeof opts.headers === "function" ? await opts.headers() : opts.headers;
      const info = {
        // The original's order: content-type, sha256, then the rest (x-pyoco-wheel-tags).
        name, description: "", headers: { ...("content-type" in headers ? { "content-type": headers["content-type"]! } : {}), sha256: sha256Hex, ...headers },
        options: { max_chunk_size: CHUNK_BYTES },
        bucket: this.bucket, nuid: id, size, mtime: new Date().toISOString(), chunks,
        digest: `SHA-256=${Buffer.from(digestBytes).toString("base64").replace(/\+/g, "-").replace(/\//g, "_")}`,
        deleted: false,
      };
      const h = natsHeaders();
      h.set("Nats-Rollup", "sub");
      await js.publish(`$O.${this.bucket}.M.${base64UrlPadded(name)}`, JSON.stringify(info), { headers: h });
      if (previous) await this.#purge(`$O.${this.bucket}.C.${previous.nuid}`);
      const stored = await os.info(name);
      return { ...(stored ? toWheelObject(stored) : { name, nuid: id, size, digest: info.digest, mtime: info.mtime, headers: {} }), sha256Hex };
    } catch (err) {
      await Promise.allSettled([...pending]);
      await this.#purge(chunkSubject);
      if (err instanceof WheelTooLargeError) throw err;
      const text = err instanceof Error ? err.message : String(err);
      if (/maximum bytes|insufficient (storage )?resources|resource limits/i.test(text)) throw new WheelStoreFullError(text);
      throw mapNatsError(err, "wheel store");
    }
  }

  async #purge(subject: string): Promise<void> {
    try { await (await this.conn.jsm()).streams.purge(`OBJ_${this.bucket}`, { filter: subject }); } catch { /* best effort */ }
  }
}
