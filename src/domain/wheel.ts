/**
 * Wheel rules shared by the gateway (upload policy) and the worker (sync selection), pure:
 * PEP 427 file names, PEP 440 versions, PEP 503 names, PEP 425 tags, the registry's tag header
 * (string or string[], wire-contract.md §1.3) and the selection algorithm of wire-contract.md §7.3.
 */

/** Object names the registry accepts (http-contract.md §1.6). */
export const WHEEL_NAME_PATTERN = /^[A-Za-z0-9._+-]+\.whl$/;
/** Routing tags of a wheel (same alphabet as run tags). */
export const WHEEL_TAG_PATTERN = /^[A-Za-z0-9_-]+$/;
/** The object header that carries the routing tags as CSV. */
export const WHEEL_TAGS_HEADER = "x-pyoco-wheel-tags";

// ── PEP 440 versions ────────────────────────────────────────────────────────────────────────

const VERSION_RE = new RegExp(
  "^\\s*v?(?:(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\\.[0-9]+)*)" +
  "(?<pre>[-_\\.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\\.]?(?<pre_n>[0-9]+)?)?" +
  "(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_\\.]?(?<post_l>post|rev|r)[-_\\.]?(?<post_n2>[0-9]+)?))?" +
  "(?<dev>[-_\\.]?(?<dev_l>dev)[-_\\.]?(?<dev_n>[0-9]+)?)?)" +
  "(?:\\+(?<local>[a-z0-9]+(?:[-_\\.][a-z0-9]+)*))?\\s*$",
  "i",
);

export interface Version {
  epoch: number;
  release: number[];
  pre: [string, number] | null;
  post: number | null;
  dev: number | null;
  local: (string | number)[] | null;
  /** Normalised text (e.g. "1.0rc1"). */
  text: string;
}

function preLetter(l: string): string {
  const v = l.toLowerCase();
  if (v === "alpha") return "a";
  if (v === "beta") return "b";
  if (v === "c" || v === "pre" || v === "preview") return "rc";
  return v;
}

/** Parse a PEP 440 version; null when invalid. */
export function parseVersion(raw: string): Version | null {
  const m = VERSION_RE.exec(raw);
  if (!m?.groups) return null;
  const g = m.groups;
  const release = g.release!.split(".").map(Number);
  const pre: [string, number] | null = g.pre_l ? [preLetter(g.pre_l), Number(g.pre_n ?? 0)] : null;
  const post = g.post ? Number(g.post_n1 ?? g.post_n2 ?? 0) : null;
  const dev = g.dev_l ? Number(g.dev_n ?? 0) : null;
  const local = g.local ? g.local.toLowerCase().split(/[-_.]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : null;
  const epoch = Number(g.epoch ?? 0);
  let text = (epoch ? `${epoch}!` : "") + release.join(".");
  if (pre) text += `${pre[0]}${pre[1]}`;
  if (post !== null) text += `.post${post}`;
  if (dev !== null) text += `.dev${dev}`;
  if (local) text += `+${local.join(".")}`;
  return { epoch, release, pre, post, dev, local, text };
}

function cmpNum(a: number, b: number): number { return a < b ? -1 : a > b ? 1 : 0; }

/** packaging's _cmpkey ordering: negative when a < b. */
export function compareVersions(a: Version, b: Version): number {
  if (a.epoch !== b.epoch) return cmpNum(a.epoch, b.epoch);
  const ra = trimZeros(a.release), rb = trimZeros(b.release);
  for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
    const c = cmpNum(ra[i] ?? -1, rb[i] ?? -1);   // shorter (after trimming) sorts first
    if (c) return c;
  }
  // pre: a dev-only release sorts before any pre-release; no pre sorts after every pre-release.
  const preKey = (v: Version): [number, string, number] =>
    v.pre ? [1, v.pre[0], v.pre[1]] : v.post === null && v.dev !== null ? [0, "", 0] : [2, "", 0];
  const pa = preKey(a), pb = preKey(b);
  if (pa[0] !== pb[0]) return cmpNum(pa[0], pb[0]);
  if (pa[1] !== pb[1]) return pa[1] < pb[1] ? -1 : 1;
  if (pa[2] !== pb[2]) return cmpNum(pa[2], pb[2]);
  const postA = a.post ?? -1, postB = b.post ?? -1;
  if (postA !== postB) return cmpNum(postA, postB);
  const devA = a.dev ?? Infinity, devB = b.dev ?? Infinity;
  if (devA !== devB) return cmpNum(devA, devB);
  return compareLocal(a.local, b.local);
}

function trimZeros(release: number[]): number[] {
  const out = [...release];
  while (out.length > 1 && out[out.length - 1] === 0) out.pop();
  return out;
}

function compareLocal(a: Version["local"], b: Version["local"]): number {
  if (!a && !b) return 0;
  if (!a) return -1;
  if (!b) return 1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i], y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === "number" && typeof y === "number") { if (x !== y) return cmpNum(x, y); continue; }
    if (typeof x === "number") return 1;    // numeric segments sort after alphanumeric ones
    if (typeof y === "number") return -1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

// ── PEP 503 names and PEP 427 file names ────────────────────────────────────────────────────

/** PEP 503 canonical project name (`Demo.Pkg` → `demo-pkg`). */
export function canonicalizeName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

export interface WheelFilename {
  /** Canonical distribution name. */
  name: string;
  version: Version;
  build: [number, string] | null;
  /** PEP 425 tags as `interpreter-abi-platform` strings. */
  tags: string[];
}

/** packaging.utils.parse_wheel_filename; null when the name is not a valid wheel file name. */
export function parseWheelFilename(filename: string): WheelFilename | null {
  if (!filename.endsWith(".whl")) return null;
  const stem = filename.slice(0, -4);
  const dashes = (stem.match(/-/g) ?? []).length;
  if (dashes !== 4 && dashes !== 5) return null;
  const parts = stem.split("-");
  const namePart = parts[0]!;
  if (namePart.includes("__") || !/^[\p{L}\p{N}_.]*$/u.test(namePart)) return null;
  const version = parseVersion(parts[1]!);
  if (!version) return null;
  let build: [number, string] | null = null;
  if (dashes === 5) {
    const m = /^(\d+)(.*)$/.exec(parts[2]!);
    if (!m) return null;
    build = [Number(m[1]), m[2]!];
  }
  const [interp, abi, plat] = parts.slice(-3) as [string, string, string];
  const tags: string[] = [];
  for (const i of interp.toLowerCase().split(".")) for (const a of abi.toLowerCase().split(".")) for (const p of plat.toLowerCase().split(".")) tags.push(`${i}-${a}-${p}`);
  return { name: canonicalizeName(namePart), version, build, tags };
}

// ── Routing tags ────────────────────────────────────────────────────────────────────────────

/** CSV → trimmed, non-empty, duplicates removed (first kept). Validity is checked by the caller. */
export function splitTagCsv(csv: string | null | undefined): string[] {
  if (!csv) return [];
  return [...new Set(csv.split(",").map((t) => t.trim()).filter(Boolean))];
}

/**
 * The routing tags of a stored wheel from its object headers. Python writes a string, NATS.js
 * and Go a string[] (wire-contract.md §1.3); the key is matched case-insensitively. Invalid
 * tags are dropped silently (the original's reader).
 */
export function wheelTagsFromHeaders(headers: Record<string, unknown> | null | undefined): string[] {
  if (!headers) return [];
  const key = Object.keys(headers).find((k) => k.toLowerCase() === WHEEL_TAGS_HEADER);
  if (!key) return [];
  const raw = headers[key];
  const values = Array.isArray(raw) ? raw.map(String) : raw == null ? [] : [String(raw)];
  return splitTagCsv(values.join(",")).filter((t) => WHEEL_TAG_PATTERN.test(t));
}

/** One header value as a string, whatever form it was stored in. */
export function headerValue(headers: Record<string, unknown> | null | undefined, name: string): string | null {
  if (!headers) return null;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  if (!key) return null;
  const raw = headers[key];
  if (Array.isArray(raw)) return raw.length ? String(raw[0]) : null;
  return raw == null ? null : String(raw);
}

// ── Upload policy (http-contract.md §1.6 step 6) ────────────────────────────────────────────

export type UploadConflict =
  | { kind: "same_version"; existing: string }
  | { kind: "not_greater"; latest: string };

/**
 * Within one canonical package only a strictly greater version may be uploaded. An equal version
 * (whatever its python/abi/platform tags) → same_version; lower than the newest → not_greater.
 */
export function uploadConflict(candidate: WheelFilename, existingNames: string[]): UploadConflict | null {
  let latest: { name: string; version: Version } | null = null;
  for (const other of existingNames) {
    const parsed = parseWheelFilename(other);
    if (!parsed || parsed.name !== candidate.name) continue;
    if (compareVersions(parsed.version, candidate.version) === 0) return { kind: "same_version", existing: other };
    if (!latest || compareVersions(parsed.version, latest.version) > 0) latest = { name: other, version: parsed.version };
  }
  if (latest && compareVersions(candidate.version, latest.version) < 0) return { kind: "not_greater", latest: latest.name };
  return null;
}

// ── Worker selection (wire-contract.md §7.3) ────────────────────────────────────────────────

export interface RegistryObject {
  name: string;
  nuid: string;
  size: number;
  digest: string;
  headers?: Record<string, unknown> | null;
}

export interface SelectedWheel {
  wheel_name: string;
  package_name: string;
  package_version: string;
  nuid: string;
  size_bytes: number;
  digest: string;
  /** Lowercase hex SHA-256 from the `sha256` header (or the digest). */
  sha256_hex: string | null;
  tags: string[];
}

export interface SkippedWheel {
  wheel_name: string;
  package_name: string;
  package_version: string;
  reason: "unsupported_wheel_tags";
}

export interface Selection {
  /** Newest compatible wheel per package, sorted by wheel name. */
  selected: SelectedWheel[];
  skippedIncompatible: SkippedWheel[];
}

/**
 * Pick what a worker installs: wheels whose routing tags are empty or share one with the worker,
 * that parse as wheels, whose PEP 425 tags the worker's Python supports; newest version per
 * package (equal versions: the greater file name). Incompatible wheels take no part in the
 * newest-version choice, so a newer win_amd64 wheel does not hide an older py3-none-any one.
 */
export function selectWheels(objects: RegistryObject[], workerTags: readonly string[], supportedTags: ReadonlySet<string>): Selection {
  const best = new Map<string, { wheel: SelectedWheel; version: Version }>();
  const skipped: SkippedWheel[] = [];
  const mine = new Set(workerTags);
  for (const obj of objects) {
    if (!WHEEL_NAME_PATTERN.test(obj.name)) continue;
    const tags = wheelTagsFromHeaders(obj.headers);
    if (tags.length && !tags.some((t) => mine.has(t))) continue;
    const parsed = parseWheelFilename(obj.name);
    if (!parsed) continue;
    if (parsed.tags.length && !parsed.tags.some((t) => supportedTags.has(t))) {
      skipped.push({ wheel_name: obj.name, package_name: parsed.name, package_version: parsed.version.text, reason: "unsupported_wheel_tags" });
      continue;
    }
    const wheel: SelectedWheel = {
      wheel_name: obj.name, package_name: parsed.name, package_version: parsed.version.text,
      nuid: obj.nuid, size_bytes: obj.size, digest: obj.digest, sha256_hex: headerValue(obj.headers, "sha256") ?? digestToHex(obj.digest), tags: [...tags].sort(),
    };
    const current = best.get(parsed.name);
    const c = current ? compareVersions(parsed.version, current.version) : 1;
    if (c > 0 || (c === 0 && obj.name > current!.wheel.wheel_name)) best.set(parsed.name, { wheel, version: parsed.version });
  }
  const selected = [...best.values()].map((b) => b.wheel).sort((a, b) => (a.wheel_name < b.wheel_name ? -1 : a.wheel_name > b.wheel_name ? 1 : 0));
  skipped.sort((a, b) => (a.wheel_name < b.wheel_name ? -1 : 1));
  return { selected, skippedIncompatible: skipped };
}

/** Base64url-with-padding SHA-256 digest string of the object store → lowercase hex (null if malformed). */
export function digestToHex(digest: string | null | undefined): string | null {
  if (!digest || !digest.toUpperCase().startsWith("SHA-256=")) return null;
  try {
    const b64 = digest.slice(8).replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Buffer.from(b64, "base64");
    return bytes.length === 32 ? bytes.toString("hex") : null;
  } catch { return null; }
}
