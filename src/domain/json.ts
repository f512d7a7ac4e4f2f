/**
 * Wire JSON exactly as the Python original writes it (wire-contract.md §0): compact separators,
 * every non-ASCII character escaped as \uXXXX, keys in insertion order, UTF-8 bytes.
 *
 * Non-finite floats (issue 10): Python's `json.dumps` writes `NaN`, `Infinity` and `-Infinity`
 * (the original worker does so for a NaN in `params`), and Python's `json.loads` reads them back
 * as floats. So on the wire (KV, jobs, the runner's stdin) they are kept as those tokens, which a
 * YAML `.nan` default needs to reach Python as a float; reading accepts them too. HTTP clients
 * (browsers' JSON.parse) cannot read them: `toClientJson` turns them into null plus a marker.
 */

const NON_ASCII = /[\u007f-\uffff]/g;

const NON_FINITE_TOKENS = ["NaN", "Infinity", "-Infinity"] as const;
export type NonFiniteToken = (typeof NON_FINITE_TOKENS)[number];

function tokenOf(n: number): NonFiniteToken {
  return Number.isNaN(n) ? "NaN" : n > 0 ? "Infinity" : "-Infinity";
}

function isNonFinite(v: unknown): v is number {
  return typeof v === "number" && !Number.isFinite(v);
}

/** True when a non-finite number occurs anywhere in `value`. */
export function containsNonFinite(value: unknown): boolean {
  if (isNonFinite(value)) return true;
  if (typeof value !== "object" || value === null) return false;
  for (const v of Array.isArray(value) ? value : Object.values(value)) if (containsNonFinite(v)) return true;
  return false;
}

/**
 * JSON text, with non-finite numbers written as Python writes them (`NaN`, `Infinity`,
 * `-Infinity`) instead of JSON.stringify's silent `null`. Non-ASCII is left as it is.
 */
export function stringifyKeepingNonFinite(value: unknown): string {
  const text = JSON.stringify(value);
  // JSON.stringify writes a non-finite number as null: no "null" in the text means there was none.
  if (text === undefined || !text.includes("null") || !containsNonFinite(value)) return text;
  const mark = `\u0000nf${crypto.randomUUID()}:`;
  const marked = JSON.stringify(value, (_k, v) => (isNonFinite(v) ? mark + tokenOf(v) : v));
  const quotedMark = JSON.stringify(mark).slice(1, -1);
  return marked.replace(new RegExp(`"${escapeRe(quotedMark)}(NaN|Infinity|-Infinity)"`, "g"), "$1");
}

export function encodeWireJson(value: unknown): string {
  return stringifyKeepingNonFinite(value).replace(NON_ASCII, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function wireBytes(value: unknown): Uint8Array {
  return encoder.encode(encodeWireJson(value));
}

/** Parse wire bytes; throws on invalid UTF-8 or JSON (callers decide what that means). Accepts Python's NaN/Infinity. */
export function parseWireBytes(bytes: Uint8Array): unknown {
  return parseWireText(decoder.decode(bytes));
}

/** JSON.parse that also reads Python's `NaN`, `Infinity` and `-Infinity` tokens (as numbers). */
export function parseWireText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!/NaN|Infinity/.test(text)) throw err;
  }
  const mark = `\u0000nf${crypto.randomUUID()}:`;
  const replaced = replaceBareTokens(text, (token) => JSON.stringify(mark + token));
  return JSON.parse(replaced, (_k, v) => (typeof v === "string" && v.startsWith(mark) ? Number(v.slice(mark.length)) : v));
}

/** Replace NaN / Infinity / -Infinity outside string literals. */
function replaceBareTokens(text: string, replace: (token: NonFiniteToken) => string): string {
  let out = "";
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') { inString = true; continue; }
    if (c !== "N" && c !== "I" && c !== "-") continue;
    const token = NON_FINITE_TOKENS.find((t) => text.startsWith(t, i));
    if (!token) continue;
    out += text.slice(from, i) + replace(token);
    i += token.length - 1;
    from = i + 1;
  }
  return out + text.slice(from);
}

/** Byte length of the wire encoding (ASCII-only, so string length = byte length). */
export function wireSize(value: unknown): number {
  return encodeWireJson(value).length;
}

/** Where non-finite numbers were, as dotted paths (`params.x`, `task_records.t.output.2`) → their token. */
export type NonFiniteMarker = Record<string, NonFiniteToken>;

/**
 * What an HTTP client gets (issue 10): every non-finite number becomes `null`, and the object
 * gains the additive field `non_finite` mapping each path (relative to that object) to the Python
 * token it replaced, so Python's json and browsers both parse the answer and nothing is hidden.
 * A list answer (an array, or `{items: [...]}`) gets the marker on each item. Values without
 * non-finite numbers are returned unchanged.
 */
export function toClientJson(body: unknown): unknown {
  if (!containsNonFinite(body)) return body;
  if (Array.isArray(body)) return body.map(markObject);
  if (isRecord(body) && Array.isArray(body.items)) return { ...body, items: body.items.map(markObject) };
  return markObject(body);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function markObject(value: unknown): unknown {
  if (!containsNonFinite(value)) return value;
  if (!isRecord(value)) return nullify(value, [], {});
  const marker: NonFiniteMarker = {};
  const out = nullify(value, [], marker) as Record<string, unknown>;
  return { ...out, non_finite: marker };
}

function nullify(value: unknown, path: (string | number)[], marker: NonFiniteMarker): unknown {
  if (isNonFinite(value)) { marker[path.join(".")] = tokenOf(value); return null; }
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((v, i) => nullify(v, [...path, i], marker));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = nullify(v, [...path, k], marker);
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
