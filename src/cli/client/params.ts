/**
 * `client submit` params (http-contract.md §5.2): `--params-file` (JSON, else YAML; a mapping)
 * < `--params` (a JSON object) < each `--param key=value` in order (the value JSON-decoded when it
 * parses, else the raw string). Later sources win key by key. Errors carry the original's reasons.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parsePyYaml } from "../../domain/pyyaml.ts";
import { ARG_ERROR_HEADER, CliFailure } from "../errors.ts";

export interface ParamsInput {
  file?: string;
  json?: string;
  pairs: string[];
  /** Base directory of a relative --params-file. */
  cwd: string;
  /** Program name in hints, e.g. "pyoco client". */
  program: string;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function inputError(reason: string, hint: string, detail?: string): CliFailure {
  return new CliFailure("ERR-PYOCO-0018", ARG_ERROR_HEADER, reason, hint, detail);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function readParamsFile(path: string, cwd: string): Record<string, unknown> {
  let text: string;
  try { text = readFileSync(resolve(cwd, path), "utf8"); } catch (err) {
    throw inputError(`failed to read --params-file: ${path} (${errorText(err)})`, "check file path and read permission");
  }
  let data: unknown;
  try { data = JSON.parse(text); } catch (jsonErr) {
    try { data = parsePyYaml(text); } catch (yamlErr) {
      throw inputError(`--params-file must be JSON/YAML object (${path})`, 'file example: {"x":1} or x: 1',
        `json=${errorText(jsonErr)}; yaml=${errorText(yamlErr).split("\n")[0]}`);
    }
  }
  if (!isMapping(data)) throw inputError(`--params-file must contain object at top level (${path})`, 'file example: {"x":1}');
  // YAML dates become ISO strings, as they would in a JSON request.
  return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
}

export function parseParamsJson(text: string, program: string): Record<string, unknown> {
  let data: unknown;
  try { data = JSON.parse(text); } catch {
    throw inputError("--params must be valid JSON object", `${program} submit --params '{"x": 1}'`);
  }
  if (!isMapping(data)) throw inputError("--params must be JSON object", `${program} submit --params '{"x": 1}'`);
  return data;
}

/** One `--param key=value`: split at the first "=", both sides trimmed, the value JSON-decoded when valid. */
export function parseParamPair(raw: string, program: string): [string, unknown] {
  const eq = raw.indexOf("=");
  if (eq < 0) throw inputError(`--param must be key=value ('${raw}')`, `${program} submit --param x=1 --param name=alice`);
  const key = raw.slice(0, eq).trim();
  const value = raw.slice(eq + 1).trim();
  if (!key) throw inputError(`--param key is empty ('${raw}')`, `${program} submit --param x=1`);
  if (value === "") return [key, ""];
  try { return [key, JSON.parse(value)]; } catch { return [key, value]; }
}

export function composeParams(input: ParamsInput): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  if (input.file !== undefined) Object.assign(params, readParamsFile(input.file, input.cwd));
  if (input.json !== undefined) Object.assign(params, parseParamsJson(input.json, input.program));
  for (const raw of input.pairs) {
    const [k, v] = parseParamPair(raw, input.program);
    params[k] = v;
  }
  return params;
}

/** `--tags a,b`: split, trimmed, empties dropped; an empty result means "not sent". */
export function splitCsv(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
}
