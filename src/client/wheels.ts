/**
 * Wheel-registry calls on top of `PyocoHttpClient` (the original client's list_wheels,
 * upload_wheel, delete_wheel, list_wheel_history; http-contract.md §1.6). Kept apart from api.ts.
 *
 *   const wheels = new WheelsClient(new PyocoHttpClient({ server }));
 *   await wheels.upload("dist/my_tasks-1.0.0-py3-none-any.whl", { tags: ["cpu"], onProgress: (sent, total) => … });
 *
 * The upload streams the file from disk (a multipart body built around `Bun.file().stream()`),
 * so a large wheel is never read into memory.
 */
import { basename } from "node:path";
import type { PyocoHttpClient } from "./api.ts";
import type { WheelHistoryEvent, WheelInfo } from "./types.ts";

export interface UploadOptions {
  /** Routing tags; none = every worker. */
  tags?: string[];
  /** @default true */
  replace?: boolean;
  /** Called as bytes of the file are handed to the network. */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

export interface HistoryFilter { limit?: number; wheelName?: string; action?: string }

const encoder = new TextEncoder();

function field(boundary: string, name: string, value: string): Uint8Array {
  return encoder.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
}

export class WheelsClient {
  constructor(readonly http: PyocoHttpClient) {}

  /** `GET /wheels`. */
  list(): Promise<WheelInfo[]> {
    return this.http.request("GET", "/wheels");
  }

  /** `GET /wheels/history` (limit always sent, as the original CLI does). */
  history(f: HistoryFilter = {}): Promise<WheelHistoryEvent[]> {
    return this.http.request("GET", "/wheels/history", { query: { limit: f.limit ?? 100, wheel_name: f.wheelName, action: f.action } });
  }

  /** `DELETE /wheels/{name}`. */
  delete(name: string): Promise<{ name: string; deleted: boolean }> {
    return this.http.request("DELETE", `/wheels/${encodeURIComponent(name)}`);
  }

  /** `GET /wheels/{name}` as a byte stream. */
  async download(name: string): Promise<ReadableStream<Uint8Array>> {
    return (await this.http.stream("GET", `/wheels/${encodeURIComponent(name)}`, { timeoutMs: 0 })).body!;
  }

  /**
   * `POST /wheels`: fields `replace` ("true"/"false") and `tags` (CSV, omitted when none) first,
   * then the file part `wheel` (basename, application/octet-stream), streamed from disk.
   */
  async upload(path: string, opts: UploadOptions = {}): Promise<WheelInfo> {
    const file = Bun.file(path);
    const total = file.size;
    if (!(await file.exists())) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { syscall: "open", path, code: "ENOENT" });
    const boundary = `pyoco-${crypto.randomUUID().replaceAll("-", "")}`;
    const name = basename(path).replace(/"/g, "");
    const head = [
      field(boundary, "replace", opts.replace === false ? "false" : "true"),
      ...(opts.tags?.length ? [field(boundary, "tags", opts.tags.join(","))] : []),
      encoder.encode(`--${boundary}\r\nContent-Disposition: form-data; name="wheel"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    ];
    const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
    const length = head.reduce((n, b) => n + b.length, 0) + total + tail.length;
    let sent = 0;
    const reader = file.stream().getReader();
    let headSent = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (!headSent) { headSent = true; for (const b of head) controller.enqueue(b); return; }
        const { done, value } = await reader.read();
        if (done) { controller.enqueue(tail); controller.close(); return; }
        sent += value.length;
        opts.onProgress?.(sent, total);
        controller.enqueue(value);
      },
      cancel() { void reader.cancel(); },
    });
    return this.http.request("POST", "/wheels", {
      body, timeoutMs: 0, signal: opts.signal,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(length) },
    });
  }
}
