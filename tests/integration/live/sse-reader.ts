/**
 * Reads a real SSE response frame by frame for the live tests, keeping the raw frame text so a
 * test can check the exact wire form. `next()` resolves with the next event, or null when the
 * server ended the stream; it rejects after `timeoutMs` so a missing event fails the test.
 */
export interface RawSseEvent {
  id: string | null;
  event: string;
  data: any;
  raw: string;
}

export class SseReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buffer = "";
  #decoder = new TextDecoder();
  #done = false;

  constructor(readonly response: Response) {
    this.#reader = response.body!.getReader();
  }

  async next(timeoutMs = 5000): Promise<RawSseEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const cut = this.#buffer.indexOf("\n\n");
      if (cut >= 0) {
        const raw = this.#buffer.slice(0, cut + 2);
        this.#buffer = this.#buffer.slice(cut + 2);
        return parseFrame(raw);
      }
      if (this.#done) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no SSE event within ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => { timer = setTimeout(() => resolve("timeout"), left); });
      const chunk = await Promise.race([this.#reader.read(), timeout]);
      clearTimeout(timer);
      if (chunk === "timeout") throw new Error(`no SSE event within ${timeoutMs} ms`);
      if (chunk.done) this.#done = true;
      else this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
    }
  }

  /** Read events until the stream ends; returns them all. */
  async rest(timeoutMs = 5000): Promise<RawSseEvent[]> {
    const out: RawSseEvent[] = [];
    for (let ev = await this.next(timeoutMs); ev; ev = await this.next(timeoutMs)) out.push(ev);
    return out;
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

function parseFrame(raw: string): RawSseEvent {
  let id: string | null = null;
  let event = "message";
  const data: string[] = [];
  for (const line of raw.split("\n")) {
    if (line.startsWith("id: ")) id = line.slice(4);
    else if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
  }
  return { id, event, data: data.length ? JSON.parse(data.join("\n")) : null, raw };
}
