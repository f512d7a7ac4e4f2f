/**
 * The embedded runner script, written to disk once per content version. The file name carries
 * a content hash, so workers of different versions can share a workDir.
 */
import { mkdir, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import runnerSource from "./runner.py" with { type: "text" };

export const RUNNER_SOURCE: string = runnerSource;

export function runnerScriptName(): string {
  const hash = new Bun.CryptoHasher("sha256").update(RUNNER_SOURCE).digest("hex").slice(0, 12);
  return `pyoco-runner-${hash}.py`;
}

/** Write runner.py into `dir` (if missing) and return its absolute path. */
export async function extractRunnerScript(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, runnerScriptName());
  const exists = await stat(path).then((s) => s.size === Buffer.byteLength(RUNNER_SOURCE), () => false);
  if (!exists) {
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, RUNNER_SOURCE, { mode: 0o644 });
    await rename(tmp, path); // atomic: a concurrent reader never sees half a script
  }
  return path;
}
