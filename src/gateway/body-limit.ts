/**
 * PYOCO_HTTP_MAX_BODY_BYTES (issue 10): a request body larger than the limit is answered 413
 * before it is buffered. A declared Content-Length over the limit is refused at once; a chunked
 * body is counted while it is read and fails with BodyTooLargeError (→ 413) at the first byte
 * past the limit. Wheel uploads have their own limit (PYOCO_WHEEL_MAX_BYTES) and are exempt.
 */

/** Paths whose bodies are limited elsewhere (the wheel registry checks PYOCO_WHEEL_MAX_BYTES). */
const EXEMPT_PREFIXES = ["/wheels"];

export const BODY_TOO_LARGE_DETAIL = "request body too large";

/** Thrown by a body read that passed the limit; http-errors.ts answers 413. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`${BODY_TOO_LARGE_DETAIL} (limit ${limit} bytes)`);
    this.name = "BodyTooLargeError";
  }
}

function exempt(pathname: string): boolean {
  return EXEMPT_PREFIXES.some((p) => pathname === p || pathname.startsWith(p + "/"));
}

/**
 * The request to hand to the routes, or the error to answer with. Cheap for ordinary requests:
 * a body with a Content-Length within the limit passes unchanged (the server enforces the framing).
 */
export function limitRequestBody(request: Request, pathname: string, maxBytes: number): Request | BodyTooLargeError {
  if (request.body === null || exempt(pathname)) return request;
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim())) {
    return Number(declared) > maxBytes ? new BodyTooLargeError(maxBytes) : request;
  }
  let seen = 0;
  const counted = request.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > maxBytes) controller.error(new BodyTooLargeError(maxBytes));
      else controller.enqueue(chunk);
    },
  }));
  return new Request(request, { body: counted, duplex: "half" } as RequestInit);
}
