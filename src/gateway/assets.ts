/**
 * The dashboard's static files (`static/`), found both when running from source and inside the
 * compiled binary. `build.ts` compiles with `--asset=static`, which embeds every file as a
 * `Bun.embeddedFiles` entry named `static/<path>` (a Blob with the right `.type`); from source
 * the files are read from the repository's `static/` directory next to `src/`, except `app.js`:
 * the dashboard is TypeScript (src/dashboard), bundled by build.ts for the binary and bundled in
 * memory on first use when running from source.
 *
 *   const file = await staticAsset("app.js");   // Blob | null (null: missing or outside static/)
 */
import { statSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { bundleDashboard } from "../dashboard/bundle.ts";

const EMBEDDED_PREFIX = "static/";

/** Repository `static/` dir when running from source (this file is `src/gateway/assets.ts`). */
const SOURCE_STATIC_DIR = resolve(import.meta.dir, "..", "..", "static");

let embedded: Map<string, Blob> | undefined;

function embeddedAssets(): Map<string, Blob> {
  if (!embedded) {
    embedded = new Map();
    for (const blob of Bun.embeddedFiles) {
      const name = (blob as Blob & { name?: string }).name;
      if (typeof name === "string" && name.startsWith(EMBEDDED_PREFIX)) embedded.set(name.slice(EMBEDDED_PREFIX.length), blob);
    }
  }
  return embedded;
}

/**
 * Normalise a request path below `static/`, or null when it could escape the directory
 * (`..`, absolute paths, backslashes, NUL) or is empty.
 */
export function safeAssetPath(path: string): string | null {
  let decoded: string;
  try { decoded = decodeURIComponent(path); } catch { return null; }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  const parts = decoded.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.length === 0 || parts.some((p) => p === "..")) return null;
  return parts.join("/");
}

/** The bundle's name under static/ (build.ts writes it there in the binary). */
export const DASHBOARD_BUNDLE = "app.js";

let sourceBundle: Promise<Blob> | undefined;

/** From source: the dashboard bundled once per process (a failed bundle is retried next time). */
function bundledFromSource(): Promise<Blob> {
  sourceBundle ??= bundleDashboard().then(
    (js) => new Blob([js], { type: "text/javascript;charset=utf-8" }),
    (err) => { sourceBundle = undefined; throw err; },
  );
  return sourceBundle;
}

/** A file under `static/` (embedded copy first, then the source tree), or null when missing or unsafe. */
export async function staticAsset(path: string): Promise<Blob | null> {
  const rel = safeAssetPath(path);
  if (rel === null) return null;
  const fromBinary = embeddedAssets().get(rel);
  if (fromBinary) return fromBinary;
  if (rel === DASHBOARD_BUNDLE) return bundledFromSource();
  const full = join(SOURCE_STATIC_DIR, rel);
  // Belt and braces: never serve anything outside static/, whatever the normalisation did.
  if (!full.startsWith(SOURCE_STATIC_DIR + sep)) return null;
  try {
    if (!statSync(full).isFile()) return null;
  } catch {
    return null;
  }
  return Bun.file(full);
}

/** The text of `static/index.html`, or null when the dashboard is not available. */
export async function dashboardTemplate(): Promise<string | null> {
  const blob = await staticAsset("index.html");
  return blob ? blob.text() : null;
}
