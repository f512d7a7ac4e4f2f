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

/** Room for the multipart framing and form fields around a wheel. */
export const MULTIPART_OVERHEAD = 1024 * 1024;

/**
 * Bun.serve's maxRequestBodySize: the biggest allowed wheel upload or the general limit
 * (PYOCO_HTTP_MAX_BODY_BYTES, enforced per request by body-limit.ts for every other path).
 */
export function maxRequestBodySize(wheelMaxBytes: number, httpMaxBodyBytes: number): number {
  return wheelMaxBytes > 0 ? Math.max(httpMaxBodyBytes, wheelMaxBytes + MULTIPART_OVERHEAD) : Number.MAX_SAFE_INTEGER;
}
