/**
 * Input limits (issue 10): every value a client sends must fit what NATS subjects and keys accept
 * and what Python's `json` can decode, and is checked before anything reaches NATS. Pure; the
 * gateway's validators and the CLI read these constants (docs/http-api.md "Limits" lists them).
 */

/** Routing tag: a token of the work subject `pyoco.work.<tag>` and of the durable `pyoco_workers_<tag>`. */
export const MAX_TAG_LENGTH = 128;
/** `flow_name`: stored in every snapshot and job. */
export const MAX_FLOW_NAME_LENGTH = 256;
/** `tags` (labels): how many, each at most MAX_TAG_LENGTH characters. */
export const MAX_TAGS = 64;
/** A KV key (run id, worker id): the subject `$KV.<bucket>.<key>` must stay far below NATS's 4 KiB control line. */
export const MAX_KEY_LENGTH = 256;
/**
 * Nesting depth of a JSON body. Python's `json` gives up near 1,000 levels (recursion limit), and the
 * job wraps `params` in a few more levels, so 500 leaves a wide margin on the worker side.
 */
export const MAX_JSON_DEPTH = 500;
/** Default of PYOCO_HTTP_MAX_BODY_BYTES: NATS's default max payload is 1 MiB, so a larger job could not be queued anyway. */
export const DEFAULT_HTTP_MAX_BODY_BYTES = 1_048_576;

/**
 * True when the JSON text nests arrays/objects deeper than `max`. A linear scan (strings skipped),
 * run before JSON.parse so a 100,000-level body never reaches a recursive step.
 */
export function jsonDepthExceeds(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) { if (++depth > max) return true; }
    else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

/** True when a value (not a string) nests deeper than `max` (YAML defaults, already parsed). */
export function valueDepthExceeds(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const walk = (v: unknown, depth: number): boolean => {
    if (typeof v !== "object" || v === null) return false;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (walk(child, depth + 1)) return true;
    return false;
  };
  return walk(value, 1);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when `s` holds a UTF-16 surrogate without its pair (not encodable as UTF-8; strict JSON parsers reject it). */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/**
 * The path of the first string or object key that holds a lone surrogate, or null. Keys are
 * reported at the key's own path. Depth is bounded by the caller (MAX_JSON_DEPTH).
 */
export function findLoneSurrogate(value: unknown, path: (string | number)[] = []): (string | number)[] | null {
  if (typeof value === "string") return hasLoneSurrogate(value) ? path : null;
  if (typeof value !== "object" || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findLoneSurrogate(value[i], [...path, i]);
      if (found) return found;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    if (hasLoneSurrogate(k)) return [...path, k];
    const found = findLoneSurrogate(v, [...path, k]);
    if (found) return found;
  }
  return null;
}
