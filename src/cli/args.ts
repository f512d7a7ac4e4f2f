/**
 * Typed flag tables over node:util parseArgs (strict): unknown flags and bad values become
 * CliUsageError; `--help` text (usage, flags with defaults, an example) is generated from the table.
 */
import { parseArgs } from "node:util";
import { CliUsageError } from "./errors.ts";

export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Shown in help; also the value when the flag is absent. */
  default?: string | boolean;
  /** Placeholder in help, e.g. "URL". */
  value?: string;
  description: string;
  /** For string flags: the allowed values. */
  choices?: readonly string[];
}
export type FlagTable = Record<string, FlagSpec>;

export interface CommandHelp {
  program: string;            // e.g. "pyoco client submit"
  summary: string;
  positionals?: string;       // e.g. "<run_id>"
  examples: string[];
  notes?: string[];
}

type FlagValue<S extends FlagSpec> = S["type"] extends "boolean"
  ? boolean
  : S["multiple"] extends true ? string[] : (S["default"] extends string ? string : string | undefined);
export type ParsedFlags<T extends FlagTable> = { [K in keyof T]: FlagValue<T[K]> };

export function usageLine(help: CommandHelp, flags: FlagTable): string {
  const parts = Object.entries(flags).map(([name, s]) => {
    const f = s.type === "boolean" ? `--${name}` : `--${name} ${s.value ?? "VALUE"}`;
    return `[${f}]`;
  });
  return `usage: ${help.program} ${parts.join(" ")}${help.positionals ? " " + help.positionals : ""}`.trim();
}

export function renderHelp(help: CommandHelp, flags: FlagTable): string {
  const rows = Object.entries(flags).map(([name, s]) => {
    const left = `  ${s.short ? `-${s.short}, ` : ""}--${name}${s.type === "string" ? ` ${s.value ?? "VALUE"}` : ""}`;
    const def = s.default !== undefined && s.default !== false ? ` (default: ${s.default})` : "";
    const choices = s.choices ? ` [${s.choices.join("|")}]` : "";
    return `${left.padEnd(34)} ${s.description}${choices}${def}`;
  });
  rows.push(`${"  -h, --help".padEnd(34)} show this help and exit`);
  const out = [`${help.program} — ${help.summary}`, "", usageLine(help, flags), "", "options:", ...rows];
  if (help.notes?.length) out.push("", ...help.notes);
  out.push("", "examples:", ...help.examples.map((e) => `  ${e}`));
  return out.join("\n") + "\n";
}

/** A usage error of a command: its usage line, and its first example as the hint. */
export function usageError(message: string, help: CommandHelp, flags: FlagTable, hint?: string): CliUsageError {
  const err = new CliUsageError(message, usageLine(help, flags), help.program, hint);
  err.example = help.examples[0];
  return err;
}

/** The known flag closest to an unknown one (edit distance ≤ 2), for "did you mean". */
export function closestFlag(unknown: string, names: string[]): string | undefined {
  const target = unknown.replace(/^-+/, "").split("=")[0]!;
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = editDistance(target, name);
    if (d <= 2 && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

export type ParseResult<T extends FlagTable> =
  | { help: true; text: string }
  | { help: false; flags: ParsedFlags<T>; positionals: string[] };

export function parseFlags<T extends FlagTable>(argv: string[], flags: T, help: CommandHelp, opts: { maxPositionals?: number } = {}): ParseResult<T> {
  if (argv.includes("--help") || argv.includes("-h")) return { help: true, text: renderHelp(help, flags) };
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, s] of Object.entries(flags)) options[name] = { type: s.type, ...(s.short ? { short: s.short } : {}), ...(s.multiple ? { multiple: true } : {}) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    const raw = (err as Error).message;
    const unknown = /^Unknown option '(.+?)'/.exec(raw)?.[1];
    const msg = raw.replace(/\. To specify a positional argument.*$/s, "").replace(/^Unknown option '(.+?)'.*$/s, "unrecognized arguments: $1");
    const near = unknown ? closestFlag(unknown, Object.keys(flags)) : undefined;
    throw usageError(msg, help, flags, near ? `did you mean --${near}? (all options: ${help.program} --help)` : undefined);
  }
  const values = parsed.values as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(flags)) {
    let v = values[name];
    if (v === undefined) v = s.multiple ? [] : s.default ?? (s.type === "boolean" ? false : undefined);
    if (s.choices && typeof v === "string" && !s.choices.includes(v)) {
      throw usageError(`argument --${name}: invalid choice: '${v}' (choose from ${s.choices.map((c) => `'${c}'`).join(", ")})`, help, flags,
        `pass one of: ${s.choices.map((c) => `--${name} ${c}`).join(", ")}`);
    }
    out[name] = v;
  }
  const max = opts.maxPositionals ?? 0;
  if (parsed.positionals.length > max) {
    throw usageError(`unrecognized arguments: ${parsed.positionals.slice(max).join(" ")}`, help, flags);
  }
  return { help: false, flags: out as ParsedFlags<T>, positionals: parsed.positionals };
}

/** Parse a number flag with a clear error. */
export function numberFlag(value: string | undefined, name: string, help: CommandHelp, flags: FlagTable, opts: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const bad = value.trim() === "" || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n));
  if (bad) throw usageError(`argument --${name}: invalid ${opts.integer ? "int" : "float"} value: '${value}'`, help, flags, `pass a ${opts.integer ? "whole " : ""}number, e.g. --${name} ${opts.min !== undefined && opts.min > 1 ? opts.min : 1}`);
  if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    const range = `${opts.min ?? "-inf"}..${opts.max ?? "inf"}`;
    throw usageError(`argument --${name}: ${value} is outside ${range}`, help, flags, `pass --${name} with a value in ${range}`);
  }
  return n;
}
