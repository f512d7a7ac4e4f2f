/**
 * Bundles the dashboard's TypeScript (entry `main.tsx`, Preact) into one browser ES module.
 * build.ts embeds the result in the binary as `static/app.js`; when the gateway runs from source,
 * src/gateway/assets.ts calls this on the first request for `/static/app.js`. Runs in Bun only
 * (not part of the browser bundle).
 *
 *   const js = await bundleDashboard();   // minified JavaScript text
 */
import { resolve } from "node:path";

export const DASHBOARD_ENTRY = resolve(import.meta.dir, "main.tsx");

export async function bundleDashboard(opts: { minify?: boolean } = {}): Promise<string> {
  const result = await Bun.build({
    entrypoints: [DASHBOARD_ENTRY],
    target: "browser",
    format: "esm",
    minify: opts.minify ?? true,
    sourcemap: "none",
  });
  const out = result.outputs[0];
  if (!result.success || !out) {
    const why = result.logs.map((l) => String(l.message ?? l)).join("; ");
    throw new Error(`dashboard bundle failed: ${why}`);
  }
  return out.text();
}
