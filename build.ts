/**
 * Builds the single executable `dist/pyoco` (toolchain.md §2): host target only (works offline),
 * bytecode for a fast start, the dashboard embedded as assets (`static/` plus `app.js`, the
 * TypeScript of src/dashboard bundled for the browser), the runner script embedded through its
 * text import, and NO auto-loading of `.env`/`bunfig.toml` from the user's directory (the app has
 * its own `.env` handling, PYOCO_LOAD_DOTENV / PYOCO_ENV_FILE). Never strip the result.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundleDashboard } from "./src/dashboard/bundle.ts";
import { DASHBOARD_BUNDLE } from "./src/gateway/assets.ts";

const outfile = process.argv[2] ?? "dist/pyoco";
mkdirSync("dist", { recursive: true });

function gitCommit(): string {
  const r = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { stderr: "ignore" });
  const sha = r.exitCode === 0 ? r.stdout.toString().trim() : "unknown";
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no"], { stderr: "ignore" });
  return sha + (dirty.exitCode === 0 && dirty.stdout.toString().trim() ? "-dirty" : "");
}

const started = performance.now();
// The embedded directory must be named `static` (entries are named `static/<file>`): stage the
// hand-written files and the freshly bundled app.js together.
const assetsDir = join("dist", ".dashboard", "static");
rmSync(assetsDir, { recursive: true, force: true });
mkdirSync(assetsDir, { recursive: true });
cpSync("static", assetsDir, { recursive: true });
writeFileSync(join(assetsDir, DASHBOARD_BUNDLE), await bundleDashboard());

const args = [
  "build", "--compile", "--bytecode", "--format=esm", "--minify-whitespace", "--minify-syntax",
  "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig",
  `--asset=${assetsDir}`,
  `--define`, `PYOCO_BUILD_COMMIT=${JSON.stringify(gitCommit())}`,
  "src/main.ts", "--outfile", outfile,
];
const proc = Bun.spawnSync([process.execPath, ...args], { stdout: "inherit", stderr: "inherit" });
if (proc.exitCode !== 0) {
  process.stderr.write(`build failed (exit ${proc.exitCode})\n`);
  process.exit(proc.exitCode ?? 1);
}
const size = Bun.file(outfile).size;
process.stderr.write(`built ${outfile} (${(size / 1048576).toFixed(1)} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
