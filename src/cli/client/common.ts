/**
 * Shared parts of the `pyoco client` subcommands: the subcommand shape, the global flags
 * (accepted before the subcommand, as in the original, and also after it), the HTTP client they
 * configure, JSON output in the original's format, and required-flag checks.
 *
 * A subcommand module (e.g. watch.ts) looks like:
 *   const sub: ClientSubcommand = {
 *     summary: "…",
 *     async run(argv, ctx) {
 *       const p = parseClientFlags(argv, ctx, FLAGS, HELP);
 *       if (p.help) { ctx.io.stdout(p.text); return 0; }
 *       printJson(ctx.io, await p.client.getRun(p.positionals[0]!));
 *       return 0;
 *     },
 *   };
 *   export default sub;
 * HTTP, connection and file errors thrown inside are rendered by client/index.ts.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { PyocoHttpClient } from "../../client/index.ts";
import { effectiveEnv } from "../../config/index.ts";
import { parseFlags, usageError, type CommandHelp, type FlagTable, type ParsedFlags } from "../args.ts";
import { CliFailure } from "../errors.ts";
import type { CliIo } from "../io.ts";
import { pyJson } from "../py-json.ts";

export const DEFAULT_SERVER = "http://127.0.0.1:8000";

export const GLOBAL_FLAGS = {
  server: { type: "string", value: "URL", description: `gateway URL (default: PYOCO_SERVER_URL, else ${DEFAULT_SERVER})` },
  "api-key": { type: "string", value: "KEY", description: "API key, sent only when non-empty (default: PYOCO_API_KEY)" },
  "api-key-header": { type: "string", value: "NAME", description: "header that carries the key (default: PYOCO_HTTP_API_KEY_HEADER, else X-API-Key)" },
} as const satisfies FlagTable;

export type GlobalFlags = ParsedFlags<typeof GLOBAL_FLAGS>;

export interface ClientContext {
  io: CliIo;
  /** Global flags given before the subcommand name. */
  globals: GlobalFlags;
  /** e.g. "pyoco client submit" */
  program: string;
  /** The gateway URL the subcommand talks to (set by parseClientFlags; used in error hints). */
  server?: string;
}

export interface ClientSubcommand {
  summary: string;
  run(argv: string[], ctx: ClientContext): Promise<number>;
}

export type ClientParse<T extends FlagTable> =
  | { help: true; text: string }
  | { help: false; flags: ParsedFlags<T>; positionals: string[]; client: PyocoHttpClient };

/** Build the HTTP client: flag > environment (.env included) > default. */
export function makeClient(io: CliIo, flags: Partial<GlobalFlags>): PyocoHttpClient {
  const env = effectiveEnv(io.env, io.cwd);
  return new PyocoHttpClient({
    server: flags.server || env.PYOCO_SERVER_URL || DEFAULT_SERVER,
    apiKey: flags["api-key"] ?? env.PYOCO_API_KEY,
    apiKeyHeader: flags["api-key-header"] || env.PYOCO_HTTP_API_KEY_HEADER?.trim() || "X-API-Key",
  });
}

/** Parse a subcommand's flags (its own plus the global ones) and build its client. */
export function parseClientFlags<T extends FlagTable>(argv: string[], ctx: ClientContext, flags: T, help: CommandHelp, opts: { maxPositionals?: number } = {}): ClientParse<T> {
  const table = { ...flags, ...GLOBAL_FLAGS };
  const parsed = parseFlags(argv, table, help, opts);
  if (parsed.help) return parsed;
  const values = parsed.flags as Record<string, unknown>;
  const globals: Record<string, string> = {};
  for (const name of Object.keys(GLOBAL_FLAGS) as (keyof GlobalFlags)[]) {
    const v = (values[name] as string | undefined) ?? ctx.globals[name];
    if (v !== undefined) globals[name] = v;
  }
  const client = makeClient(ctx.io, globals);
  ctx.server = client.server;
  return { help: false, flags: parsed.flags as ParsedFlags<T>, positionals: parsed.positionals, client };
}

/** argparse's "the following arguments are required" for flags and positionals. */
export function requireArgs(help: CommandHelp, flags: FlagTable, given: Record<string, unknown>, names: string[], positionals: { names: string[]; values: string[] } = { names: [], values: [] }): void {
  const missing = names.filter((n) => given[n] === undefined || given[n] === "").map((n) => `--${n}`);
  missing.push(...positionals.names.slice(positionals.values.length));
  if (missing.length) {
    throw usageError(`the following arguments are required: ${missing.join(", ")}`, help, { ...flags, ...GLOBAL_FLAGS },
      `pass ${missing.map((m) => (m.startsWith("--") ? `${m} ${flags[m.slice(2)]?.value ?? "VALUE"}` : m.toUpperCase())).join(" ")}, e.g. \`${help.examples[0]}\``);
  }
}

/** Print one value as the original CLI does: json.dumps(ensure_ascii=True) + newline. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(pyJson(value) + "\n");
}

/** A file named on the command line (relative to the working directory), or the CLI's file I/O error. */
export function readInputFile(io: CliIo, path: string): Uint8Array {
  try { return readFileSync(resolve(io.cwd, path)); } catch (err) {
    throw new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: file I/O error", (err as Error).message, `check that ${path} exists and is readable (relative to ${io.cwd})`);
  }
}
