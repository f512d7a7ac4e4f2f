/** Errors of the HTTP client: what went wrong, in a form the CLI can render without parsing text. */

/** The gateway answered with a status ≥ 400. `path` is the URL path only, as the CLI prints it. */
export class HttpStatusError extends Error {
  constructor(readonly status: number, readonly method: string, readonly path: string, readonly body: string) {
    super(`HTTP ${status} ${method} ${path}${body ? `: ${body}` : ""}`);
    this.name = "HttpStatusError";
  }
  /** `detail` of a `{"detail": …}` body, if there is one. */
  get detail(): unknown {
    try { return (JSON.parse(this.body) as { detail?: unknown }).detail; } catch { return undefined; }
  }
}

/** No HTTP answer at all: refused, reset, DNS, timeout. */
export class ConnectionError extends Error {
  constructor(message: string, readonly url: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionError";
  }
}

/** The gateway answered 2xx with a body that is not the JSON we expect. */
export class InvalidResponseError extends Error {
  constructor(message: string) { super(message); this.name = "InvalidResponseError"; }
}

/** A wait for a run's terminal status ran out of time. */
export class WaitTimeoutError extends Error {
  constructor(readonly runId: string, message = `cancel wait timeout for run_id=${runId}`) {
    super(message);
    this.name = "WaitTimeoutError";
  }
}
