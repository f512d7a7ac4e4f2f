/**
 * CLI errors and the one mapping error → exit code + stderr block (http-contract.md §5).
 * `up`, `admin` and `nats` use argparse style (usage + message, exit 2); `client` and `worker`
 * use the ERR-PYOCO block (exit 1).
 */
import { ERROR_CODES, PyocoError, type ErrorCode } from "../domain/errors.ts";

export type CliStyle = "argparse" | "pyoco";

/**
 * The headline of an ERR-PYOCO-0018 block. The original printed a fixed Japanese text here; the
 * CLI speaks English (issue 13) — the code stays, so scripts matching `ERR-PYOCO-0018` still work.
 */
export const ARG_ERROR_HEADER = "ERR-PYOCO-0018: invalid command-line arguments";

export class CliUsageError extends PyocoError {
  /** An example command line that works, shown in the default hint. */
  example?: string;
  constructor(message: string, readonly usage: string, readonly program: string, hint?: string) {
    super("ERR-PYOCO-0018", message, { hint });
  }
}

/** A headline for every catalogued code ("ERR-PYOCO-0003: NATS unavailable"), never a class name. */
export function headline(code: ErrorCode): string {
  return `${code}: ${ERROR_CODES[code]}`;
}

/** What to do after a usage error: a working example and where the options are listed. */
function usageHint(err: CliUsageError): string {
  if (err.hint) return err.hint;
  return err.example ? `try \`${err.example}\` (all options: ${err.program} --help)` : `list the options with \`${err.program} --help\``;
}

/** The usage text without its own "usage: " prefix (the block adds "- usage: "). */
function bareUsage(usage: string): string {
  return usage.replace(/^usage:\s*/, "");
}

/** A failure with a code from the catalogue and a concrete fix. */
export class CliFailure extends PyocoError {
  constructor(code: ErrorCode, readonly header: string, message: string, hint: string, readonly detail?: string) {
    super(code, message, { hint });
  }
}

/** Hints for errors raised without one. */
const DEFAULT_HINTS: Partial<Record<ErrorCode, string>> = {
  "ERR-PYOCO-0003": "start NATS with `pyoco nats up` (or `pyoco up --with-nats-bootstrap`), or pass --nats-url / set PYOCO_NATS_URL",
};

export function renderError(err: unknown, style: CliStyle): { text: string; exitCode: number } {
  if (err instanceof CliUsageError) {
    if (style === "argparse") {
      return { text: `usage: ${bareUsage(err.usage)}\n${err.program}: error: ${err.message}\nhint: ${usageHint(err)}\n`, exitCode: 2 };
    }
    return { text: `${ARG_ERROR_HEADER}\n- reason: ${err.message}\n- usage: ${bareUsage(err.usage)}\n- hint: ${usageHint(err)}\n`, exitCode: 1 };
  }
  if (err instanceof CliFailure) {
    const detail = err.detail ? `- detail: ${err.detail}\n` : "";
    return { text: `${err.header}\n- reason: ${err.message}\n${detail}- hint: ${err.hint}\n`, exitCode: 1 };
  }
  if (err instanceof PyocoError) {
    const header = err.code === "ERR-PYOCO-0018" ? ARG_ERROR_HEADER : headline(err.code);
    return { text: `${header}\n- reason: ${err.message}\n- hint: ${err.hint ?? DEFAULT_HINTS[err.code] ?? "run the command again with --help to check its options"}\n`, exitCode: 1 };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { text: `${headline("ERR-PYOCO-UNEXPECTED")}\n- reason: ${message}\n- hint: this is a bug in pyoco; please report it with the command line you ran\n`, exitCode: 1 };
}
