/**
 * The socket peer of a request, recorded by serve.ts (Bun knows it, Elysia's handler does not):
 * wheel history events carry it as `source.remote_addr` (http-contract.md §1.6).
 */
const peers = new WeakMap<Request, string>();

export function rememberPeer(request: Request, address: string | undefined): void {
  if (address) peers.set(request, address);
}

/** The peer address, or null (in-process requests in tests). */
export function peerAddress(request: Request): string | null {
  return peers.get(request) ?? null;
}

/** Bun's default request body limit; only POST /wheels may send more (up to PYOCO_WHEEL_MAX_BYTES). */
export const DEFAULT_BODY_LIMIT = 128 * 1024 * 1024;
/** Room for the multipart framing and form fields around a wheel. */
export const MULTIPART_OVERHEAD = 1024 * 1024;

/** Bun.serve's maxRequestBodySize: large enough for the biggest allowed wheel upload. */
export function maxRequestBodySize(wheelMaxBytes: number): number {
  return wheelMaxBytes > 0 ? Math.max(DEFAULT_BODY_LIMIT, wheelMaxBytes + MULTIPART_OVERHEAD) : Number.MAX_SAFE_INTEGER;
}

/**
 * Requests other than the wheel upload keep Bun's default limit even though the server allows
 * more for wheels: a declared body above it is refused before anything reads it.
 */
export function bodyTooLarge(request: Request): boolean {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (!(declared > DEFAULT_BODY_LIMIT)) return false;
  return !(request.method === "POST" && new URL(request.url).pathname === "/wheels");
}
