/**
 * One error base and the catalogue of stable error codes (docs/errors.md mirrors this table).
 * Codes reuse the original's ERR-PYOCO-NNNN numbers where one exists.
 */

export const ERROR_CODES = {
  "ERR-PYOCO-0002": "invalid request input",
  "ERR-PYOCO-0003": "NATS unavailable",
  "ERR-PYOCO-0005": "run not found",
  "ERR-PYOCO-0006": "flow not found",
  "ERR-PYOCO-0007": "invalid workflow or execution error",
  "ERR-PYOCO-0012": "invalid job message",
  "ERR-PYOCO-0016": "workflow too large",
  "ERR-PYOCO-0017": "invalid list cursor",
  "ERR-PYOCO-0018": "invalid CLI arguments or configuration",
  "ERR-PYOCO-0019": "invalid workers request",
  "ERR-PYOCO-0020": "worker not found",
  "ERR-PYOCO-0021": "cancel grace period expired",
  "ERR-PYOCO-0022": "schedule not found",
  "ERR-PYOCO-0030": "runner start-up failed",
  "ERR-PYOCO-0031": "managed process failed",
  "ERR-PYOCO-0040": "request body or job too large",
  "ERR-PYOCO-0041": "too many failed API-key attempts",
  "ERR-PYOCO-0050": "worker runs without a module allow-list",
  "ERR-PYOCO-HTTP": "HTTP request failed",
  "ERR-PYOCO-CANCEL": "cancel wait timeout",
  "ERR-PYOCO-UNEXPECTED": "unexpected error",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PyocoError extends Error {
  constructor(readonly code: ErrorCode, message: string, options?: ErrorOptions & { hint?: string }) {
    super(message, options);
    this.name = new.target.name;
    this.hint = options?.hint;
  }
  readonly hint?: string;
}

/** Any failure talking to NATS. Mapped to HTTP 503 `nats unavailable: <reason>`. */
export class NatsUnavailableError extends PyocoError {
  constructor(readonly reason: string, options?: ErrorOptions & { hint?: string }) {
    super("ERR-PYOCO-0003", `nats unavailable: ${reason}`, options);
  }
}

/** Invalid configuration (env var or flag). Stops start-up with the variable named. */
export class ConfigError extends PyocoError {
  constructor(readonly variable: string, message: string) {
    super("ERR-PYOCO-0018", `${variable}: ${message}`, { hint: `fix ${variable} (see docs/configuration.md)` });
  }
}

/** A key-value entry changed under us: the compare-and-set lost. The caller re-reads and retries. */
export class RevisionConflictError extends PyocoError {
  constructor(readonly key: string) { super("ERR-PYOCO-0003", `revision conflict on ${key}`); }
}
