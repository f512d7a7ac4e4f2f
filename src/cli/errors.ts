/**
 * CLI errors and the one mapping error → exit code + stderr block (http-contract.md §5).
 * `up`, `admin` and `nats` use argparse style (usage + message, exit 2); `client` and `worker`
 * use the ERR-PYOCO block (exit 1).
 */
import { PyocoError, type ErrorCode } from "../domain/errors.ts";

export type CliStyle = "argparse" | "pyoco";

/** The fixed Japanese header of the original's ERR-PYOCO-0018 block (ported verbatim). */
export const ARG_ERROR_HEADER = "ERR-PYOCO-0018: CLI引数が不正です（入力形式を確認してください）";

export class CliUsageError extends PyocoError {
  constructor(message: string, readonly usage: string, readonly program: string, hint?: string) {
    super("ERR-PYOCO-0018", message, { hint });
  }
}

/** A failure with a code from the catalogue and a concrete fix. */
export class CliFailure extends PyocoError {
  constructor(code: ErrorCode, readonly header: string, message: string, hint: string, readonly detail?: string) {
    super(code, message, { hint });
  }
}

export function renderError(err: unknown, style: CliStyle): { text: string; exitCode: number } {
  if (err instanceof CliUsageError) {
    if (style === "argparse") {
      return { text: `${err.usage}\n${err.program}: error: ${err.message}\nhint: ${err.hint ?? `${err.program} --help`}\n`, exitCode: 2 };
    }
    return { text: `${ARG_ERROR_HEADER}\n- reason: ${err.message}\n- usage: ${err.usage}\n- hint: ${err.hint ?? `${err.program} -h`}\n`, exitCode: 1 };
  }
  if (err instanceof CliFailure) {
    const detail = err.detail ? `- detail: ${err.detail}\n` : "";
    return { text: `${err.header}\n- reason: ${err.message}\n${detail}- hint: ${err.hint}\n`, exitCode: 1 };
  }
  if (err instanceof PyocoError) {
    const header = err.code === "ERR-PYOCO-0018" ? ARG_ERROR_HEADER : `${err.code}: ${err.name}`;
    return { text: `${header}\n- reason: ${err.message}\n- hint: ${err.hint ?? "see --help"}\n`, exitCode: 1 };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { text: `ERR-PYOCO-UNEXPECTED: ${message}\n`, exitCode: 1 };
}
