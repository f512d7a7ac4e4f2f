/**
 * The original client's wheel-upload preflight (http-contract.md §5.2, "Wheel-upload preflight"):
 * checks of a wheel's METADATA and entry_points.txt before anything is uploaded. Pure: the caller
 * reads the two members out of the zip (`*.dist-info/METADATA`, `*.dist-info/entry_points.txt`,
 * the first of each in sorted order) and passes their text, or null when absent.
 */

export interface PreflightInput {
  /** False when the file is not a readable zip archive: nothing else is checked. */
  validZip: boolean;
  metadata: string | null;
  entryPoints: string | null;
}

export interface PreflightOptions { allowNoEntryPoints: boolean; allowMissingUsageDoc: boolean }

export interface PreflightResult { errors: string[]; warnings: string[] }

/** Minimum length of the METADATA body (long description) that counts as usage documentation. */
const USAGE_DOC_MIN_CHARS = 80;
const DOC_URL_LABEL = /^(documentation|docs|doc|usage)$/i;

export function preflightWheel(input: PreflightInput, opts: PreflightOptions): PreflightResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!input.validZip) return { errors: ["wheel file is not a valid zip archive"], warnings };
  if (input.metadata === null) return { errors: ["missing dist-info/METADATA"], warnings };

  const meta = parseMetadata(input.metadata);
  if (!meta.first("name")) errors.push("METADATA Name is missing");
  if (!meta.first("version")) errors.push("METADATA Version is missing");
  if (!meta.first("summary")) warnings.push("METADATA Summary is empty");
  const docUrl = meta.all("project-url").some((v) => {
    const comma = v.indexOf(",");
    return comma > 0 && DOC_URL_LABEL.test(v.slice(0, comma).trim()) && v.slice(comma + 1).trim() !== "";
  });
  if (!(meta.body.trim().length >= USAGE_DOC_MIN_CHARS || docUrl)) {
    if (opts.allowMissingUsageDoc) warnings.push("usage documentation seems missing");
    else errors.push("usage documentation is missing (need METADATA description>=80 chars or Project-URL: Documentation,...)");
  }

  const options = input.entryPoints === null ? 0 : countIniOptions(input.entryPoints);
  if (options === null) errors.push("dist-info/entry_points.txt format is invalid");
  else if (options === 0) {
    if (opts.allowNoEntryPoints) warnings.push("entry_points are missing");
    else errors.push("entry_points are missing (dist-info/entry_points.txt)");
  }
  return { errors, warnings };
}

/** Core metadata (RFC 822 style): headers, then a blank line, then the long description. */
function parseMetadata(text: string): { first(name: string): string; all(name: string): string[]; body: string } {
  const headers: [string, string][] = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") { i++; break; }
    if (/^[ \t]/.test(line) && headers.length) { headers[headers.length - 1]![1] += "\n" + line.trim(); continue; }
    const colon = line.indexOf(":");
    if (colon > 0) headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const body = lines.slice(i).join("\n");
  return {
    first: (name) => headers.find(([k]) => k === name)?.[1] ?? "",
    all: (name) => headers.filter(([k]) => k === name).map(([, v]) => v),
    body,
  };
}

/**
 * Options across all sections of an INI text as Python's `configparser` (strict) reads it, or
 * null where it would raise: an option before any section, a line that is neither, a duplicate
 * section or a duplicate option within a section (option names are case-insensitive).
 */
export function countIniOptions(text: string): number | null {
  const sections = new Set<string>();
  let current: Set<string> | null = null;
  let count = 0;
  let lastWasOption = false;
  for (const raw of text.replace(/\r\n?/g, "\n").split("\n")) {
    const stripped = raw.trim();
    if (stripped === "" || stripped.startsWith("#") || stripped.startsWith(";")) continue;   // values may span blank lines
    if (/^[ \t]/.test(raw) && lastWasOption) continue;   // continuation of a multi-line value
    const section = /^\[([^\]]+)\]/.exec(stripped);
    if (section && !/^[ \t]/.test(raw)) {
      if (sections.has(section[1]!)) return null;
      sections.add(section[1]!);
      current = new Set();
      lastWasOption = false;
      continue;
    }
    const sep = stripped.search(/[=:]/);
    if (sep <= 0 || current === null) return null;
    const key = stripped.slice(0, sep).trim().toLowerCase();
    if (current.has(key)) return null;
    current.add(key);
    count++;
    lastWasOption = true;
  }
  return count;
}
