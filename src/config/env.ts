/**
 * The only reader of the process environment. Builds the effective variable map:
 * non-empty process env > `.env` file > (defaults, applied in settings.ts).
 * `.env` rules follow http-contract.md §7.1; PYOCO_LOAD_DOTENV, PYOCO_ENV_FILE and PYOCO_LOG_*
 * are read from the process env only.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { resolve } from "node:path";

export type Env = Readonly<Record<string, string | undefined>>;

/** A frozen copy of the real environment. */
export function processEnv(): Env {
  return Object.freeze({ ...process.env });
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function unescapeDoubleQuoted(v: string): string {
  return v.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_m, e: string) => {
    if (e[0] === "u" || e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: "\n", t: "\t", r: "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'" } as Record<string, string>)[e] ?? "\\" + e;
  });
}

/** Parse `.env` text: KEY=VALUE lines, `export ` prefix, comments, quotes, inline ` #` comments. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    let line = rawLine.trim();
    if (!line || line.startsWith("#")) continue;
    if (line.startsWith("export ")) line = line.slice(7).trim();
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) continue;
    let value = line.slice(eq + 1).trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
      value = value.slice(1, -1);
      if (q === '"') value = unescapeDoubleQuoted(value);
    } else {
      const hash = value.indexOf(" #");
      if (hash >= 0) value = value.slice(0, hash).trimEnd();
    }
    out[key] = value;
  }
  return out;
}

const FALSE_WORDS = ["0", "false", "no", "off"];

/** Where the `.env` file is, or null when loading is switched off. */
export function dotenvPath(env: Env, cwd = process.cwd()): string | null {
  const load = (env.PYOCO_LOAD_DOTENV ?? "1").trim().toLowerCase();
  if (FALSE_WORDS.includes(load)) return null;
  const file = env.PYOCO_ENV_FILE === undefined ? ".env" : env.PYOCO_ENV_FILE.trim();
  if (!file) return null;
  const expanded = file.startsWith("~") ? homedir() + file.slice(1) : file;
  return resolve(cwd, expanded);
}

const PROCESS_ONLY = /^PYOCO_(LOG_|LOAD_DOTENV$|ENV_FILE$)/;

/** Effective variables: process env (non-empty) over `.env` values; a missing `.env` is ignored. */
export function effectiveEnv(env: Env = processEnv(), cwd = process.cwd()): Env {
  const path = dotenvPath(env, cwd);
  const fromFile: Record<string, string> = {};
  if (path && existsSync(path)) {
    try {
      for (const [k, v] of Object.entries(parseDotenv(readFileSync(path, "utf8")))) if (!PROCESS_ONLY.test(k)) fromFile[k] = v;
    } catch { /* unreadable .env is ignored, as in the original */ }
  }
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== "") merged[k] = v;
  return Object.freeze(merged);
}
