/**
 * Server-sent events over a fetch body (WHATWG rules, as the original CLI reads them): `event:`
 * names the event (default `message`), `data:` lines are joined with "\n", `id:` sets the last
 * event id (kept across events), `retry:` is a number, `:` lines are comments, a blank line
 * dispatches. CRLF, LF and CR line ends are accepted; an event cut off by the end of the stream
 * is dropped.
 *
 *   const res = await client.stream("GET", `/runs/${id}/watch`);
 *   for await (const ev of parseSse(res.body!)) console.log(ev.event, sseJson(ev.data));
 */

export interface SseMessage {
  event: string;
  data: string;
  /** The last event id seen so far (what a reconnect sends as Last-Event-ID). */
  id?: string;
  retry?: number;
}

/** Split a byte stream into lines (CRLF, LF or CR), decoding UTF-8 across chunk borders. */
async function* lines(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let dropLeadingLf = false;   // a CR ended the previous chunk; its LF may start this one
  const onAbort = () => { reader.cancel().catch(() => {}); };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      if (signal?.aborted) return;
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      if (dropLeadingLf && buffer.startsWith("\n")) buffer = buffer.slice(1);
      dropLeadingLf = false;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        yield buffer.slice(start, i);
        if (c === 13) {
          if (i + 1 < buffer.length) { if (buffer.charCodeAt(i + 1) === 10) i++; } else dropLeadingLf = true;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
}

export async function* parseSse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseMessage> {
  let event = "";
  let data: string[] = [];
  let lastId: string | undefined;
  let retry: number | undefined;
  let first = true;
  for await (let line of lines(body, signal)) {
    if (first) { first = false; if (line.charCodeAt(0) === 0xfeff) line = line.slice(1); }
    if (line === "") {
      if (data.length || event) {
        yield { event: event || "message", data: data.join("\n"), ...(lastId !== undefined ? { id: lastId } : {}), ...(retry !== undefined ? { retry } : {}) };
      }
      event = "";
      data = [];
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") { if (!value.includes("\0")) lastId = value; }
    else if (field === "retry") { if (/^\d+$/.test(value)) retry = Number(value); }
  }
}

/** An event's data as JSON, or `{"raw": data}` when it is not JSON (the original CLI's rule). */
export function sseJson(data: string): unknown {
  try { return JSON.parse(data); } catch { return { raw: data }; }
}
