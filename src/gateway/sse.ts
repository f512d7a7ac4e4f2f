/**
 * Server-sent events: frame encoding and a push-based stream (http-contract.md §1.12).
 *
 *   const stream = new SseStream({ onClose: () => unsubscribe() });
 *   stream.send({ id: 7, event: "snapshot", data: { run_id, snapshot, ts } });
 *   stream.close();
 *   return new Response(stream.body, { headers: SSE_HEADERS });
 *
 * Data is compact ASCII-escaped JSON, as the original writes it.
 */
import { encodeWireJson, toClientJson } from "../domain/json.ts";

/** Response headers of every SSE stream (`X-Accel-Buffering: no` stops nginx from buffering events). */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
});

export interface SseEvent {
  /** Written as the `id:` line (EventSource keeps it as `lastEventId`); omitted when undefined. */
  id?: string | number;
  event: string;
  data: unknown;
}

/** One frame: `[id: …\n]event: …\ndata: <compact ASCII JSON>\n\n`. */
export function formatSseFrame(ev: SseEvent): string {
  const id = ev.id === undefined ? "" : `id: ${ev.id}\n`;
  return `${id}event: ${ev.event}\ndata: ${encodeWireJson(toClientJson(ev.data))}\n\n`;
}

const encoder = new TextEncoder();

/**
 * A byte stream that events are pushed into. `onClose` runs exactly once, whether the server
 * closes the stream or the client goes away (the ReadableStream is cancelled).
 */
export class SseStream {
  readonly body: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  readonly #onClose: () => void;

  constructor(opts: { onClose: () => void }) {
    this.#onClose = opts.onClose;
    this.body = new ReadableStream<Uint8Array>({
      start: (controller) => { this.#controller = controller; },
      cancel: () => { this.#finish(); },
    });
  }

  get closed(): boolean { return this.#closed; }

  /** Queue one event; ignored after close. */
  send(ev: SseEvent): void {
    if (this.#closed) return;
    try { this.#controller.enqueue(encoder.encode(formatSseFrame(ev))); } catch { this.#finish(); }
  }

  /** End the stream after the queued events have been read. */
  close(): void {
    if (this.#closed) return;
    try { this.#controller.close(); } catch { /* already errored/cancelled */ }
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
  }
}

/**
 * The life of a pushed stream: a `heartbeat()` event after `heartbeatMs` of silence, the end at
 * `timeoutMs`, and the end when the client goes away (`signal`). Call `touch()` after sending an
 * event, `start()` once the first events are queued, and `dispose()` from the stream's onClose.
 */
/** How often an open stream re-checks its API key; with the auth cache a revocation closes it within ~1.5 s. */
export const KEY_RECHECK_MS = 1000;

export function streamLifetime(stream: SseStream, opts: {
  heartbeatMs: number; timeoutMs: number; signal?: AbortSignal; heartbeat: () => SseEvent;
  /** api_key mode: re-checked every KEY_RECHECK_MS; false (key revoked) closes the stream (issue 10 item 9). */
  stillAuthorized?: () => Promise<boolean>;
}) {
  let heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  let timeoutTimer: ReturnType<typeof setTimeout> | undefined;
  let keyTimer: ReturnType<typeof setInterval> | undefined;
  const onAbort = () => stream.close();
  const touch = () => {
    clearTimeout(heartbeatTimer);
    if (stream.closed) return;
    heartbeatTimer = setTimeout(() => { stream.send(opts.heartbeat()); touch(); }, opts.heartbeatMs);
  };
  return {
    touch,
    start() {
      if (stream.closed) return;
      touch();
      timeoutTimer = setTimeout(() => stream.close(), opts.timeoutMs);
      const recheck = opts.stillAuthorized;
      if (recheck) {
        let checking = false;
        keyTimer = setInterval(() => {
          if (checking) return;
          checking = true;
          void recheck().then((ok) => { if (!ok) stream.close(); }, () => {}).finally(() => { checking = false; });
        }, KEY_RECHECK_MS);
      }
      if (opts.signal?.aborted) stream.close();
      else opts.signal?.addEventListener("abort", onAbort, { once: true });
    },
    dispose() {
      clearTimeout(heartbeatTimer);
      clearTimeout(timeoutTimer);
      clearInterval(keyTimer);
      opts.signal?.removeEventListener("abort", onAbort);
    },
  };
}
