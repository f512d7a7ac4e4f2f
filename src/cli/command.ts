/** A subcommand: parse its own flags, do one thing, return an exit code. */
import type { CliStyle } from "./errors.ts";
import type { CliIo } from "./io.ts";

export interface Command {
  name: string;
  summary: string;
  /** How usage errors are rendered (http-contract.md §5): argparse (exit 2) or ERR-PYOCO block (exit 1). */
  style: CliStyle;
  run(argv: string[], io: CliIo): Promise<number>;
}
