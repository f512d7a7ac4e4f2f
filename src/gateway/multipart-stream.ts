/**
 * A streaming multipart/form-data reader (RFC 7578) for large uploads: parts are read in order
 * and a file part's bytes are handed out as they arrive, so a 500 MB wheel is never held in
 * memory (`request.formData()` would buffer all of it, several times over).
 *
 *   const reader = MultipartReader.fromRequest(request);   // null when not multipart
 *   for (let part; (part = await reader.next()); ) {
 *     if (part.filename === null) fields[part.name] = await reader.text(64 * 1024);
 *     else for await (const bytes of reader.data()) sink(bytes);
 *   }
 * A part not read is skipped by the next `next()`. Malformed input throws MultipartError.
 */

export class MultipartError extends Error {
  constructor(message: string) { super(message); this.name = "MultipartError"; }
}

export interface PartHead {
  name: string;
  /** null for a plain field. */
  filename: string | null;
  contentType: string | null;
}

const HEADER_LIMIT = 16 * 1024;
const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/** The boundary of a multipart/form-data content type, or null. */
export function multipartBoundary(contentType: string | null): string | null {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType.trim())) return null;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2];
  return b && b.length <= 200 ? b : null;
}

function parseDisposition(value: string): { name: string | null; filename: string | null } {
  const param = (key: string): string | null => {
    const quoted = new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, "i").exec(value);
    if (quoted) return quoted[1]!.replace(/\\(.)/g, "$1");
    const bare = new RegExp(`;\\s*${key}=([^;\\s]+)`, "i").exec(value);
    return bare ? bare[1]! : null;
  };
  const star = /;\s*filename\*=(?:UTF-8|utf-8)''([^;\s]+)/.exec(value);
  let filename = param("filename");
  if (star) { try { filename = decodeURIComponent(star[1]!); } catch { /* keep the plain one */ } }
  return { name: param("name"), filename };
}

export class MultipartReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buf: Buffer = Buffer.alloc(0);
  #eof = false;
  /** `\r\n--boundary` */
  #delimiter: Buffer;
  #state: "start" | "headers" | "body" | "done" = "start";

  constructor(body: ReadableStream<Uint8Array>, boundary: string) {
    this.#reader = body.getReader();
    this.#delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  static fromRequest(request: Request): MultipartReader | null {
    const boundary = multipartBoundary(request.headers.get("content-type"));
    if (!boundary || !request.body) return null;
    return new MultipartReader(request.body, boundary);
  }

  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    const { done, value } = await this.#reader.read();
    if (done) { this.#eof = true; return false; }
    if (value?.length) this.#buf = this.#buf.length ? Buffer.concat([this.#buf, value]) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return true;
  }

  /** The next part's head, or null at the end of the form. */
  async next(): Promise<PartHead | null> {
    if (this.#state === "body") for await (const _ of this.data()) { /* skip the unread part */ }
    if (this.#state === "done") return null;
    if (this.#state === "start") {
      // The first boundary may come without the leading CRLF.
      const first = this.#delimiter.subarray(2);
      for (;;) {
        const at = this.#buf.indexOf(first);
        if (at >= 0) { this.#buf = this.#buf.subarray(at + first.length); break; }
        if (this.#buf.length > HEADER_LIMIT) throw new MultipartError("multipart boundary not found");
        if (!(await this.#fill())) throw new MultipartError("multipart boundary not found");
      }
      if (!(await this.#afterDelimiter())) return null;
    }
    // headers: up to the blank line
    let end: number;
    for (;;) {
      end = this.#buf.indexOf(HEADER_END);
      if (end >= 0) break;
      if (this.#buf.length > HEADER_LIMIT) throw new MultipartError("multipart part headers too large");
      if (!(await this.#fill())) throw new MultipartError("multipart body ended inside part headers");
    }
    const lines = this.#buf.subarray(0, end).toString("utf8").split("\r\n");
    this.#buf = this.#buf.subarray(end + HEADER_END.length);
    let disposition: string | null = null, contentType: string | null = null;
    for (const line of lines) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === "content-disposition") disposition = value;
      else if (key === "content-type") contentType = value;
    }
    const d = disposition ? parseDisposition(disposition) : { name: null, filename: null };
    this.#state = "body";
    return { name: d.name ?? "", filename: d.filename, contentType };
  }

  /** After a delimiter: `--` ends the form, otherwise skip to the end of the line. False = done. */
  async #afterDelimiter(): Promise<boolean> {
    while (this.#buf.length < 2) if (!(await this.#fill())) { this.#state = "done"; return false; }
    if (this.#buf[0] === 0x2d && this.#buf[1] === 0x2d) { this.#state = "done"; return false; }
    for (;;) {
      const nl = this.#buf.indexOf(CRLF);
      if (nl >= 0) { this.#buf = this.#buf.subarray(nl + 2); break; }
      if (this.#buf.length > 1024) throw new MultipartError("malformed multipart boundary line");
      if (!(await this.#fill())) throw new MultipartError("multipart body ended after a boundary");
    }
    this.#state = "headers";
    return true;
  }

  /** The current part's bytes as they arrive. */
  async *data(): AsyncGenerator<Uint8Array> {
    if (this.#state !== "body") return;
    const keep = this.#delimiter.length - 1;
    for (;;) {
      const at = this.#buf.indexOf(this.#delimiter);
      if (at >= 0) {
        const piece = this.#buf.subarray(0, at);
        this.#buf = this.#buf.subarray(at + this.#delimiter.length);
        this.#state = "headers";
        await this.#afterDelimiter();   // before the last yield: a consumer may stop after it
        if (piece.length) yield piece;
        return;
      }
      const safe = this.#buf.length - keep;
      if (safe > 0) {
        const piece = this.#buf.subarray(0, safe);
        this.#buf = this.#buf.subarray(safe);
        yield piece;
      }
      if (!(await this.#fill())) throw new MultipartError("multipart body ended inside a part");
    }
  }

  /** The current part as UTF-8 text, at most `limit` bytes (MultipartError beyond). */
  async text(limit: number): Promise<string> {
    const pieces: Uint8Array[] = [];
    let size = 0;
    for await (const p of this.data()) {
      size += p.length;
      if (size > limit) throw new MultipartError(`form field larger than ${limit} bytes`);
      pieces.push(p);
    }
    return Buffer.concat(pieces).toString("utf8");
  }

  /** Stop reading the request body. */
  async cancel(): Promise<void> {
    try { await this.#reader.cancel(); } catch { /* already closed */ }
  }
}
