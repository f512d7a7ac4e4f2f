/**
 * Fault: `kill -9` of a worker while a wheel-sync pip call runs. The worker's Python packaging
 * calls (pip install, pip check, tag probe) go through `runPython`; the Python process must end
 * with the worker instead of writing on into a sync generation nobody owns. A stand-in worker (a
 * Bun process calling `runPython` exactly as the wheel sync does) is killed; its long-running
 * Python call must be gone within a few seconds.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../src/lib/async.ts";
import { isAlive } from "../helpers/processes.ts";
import { REPO_ROOT, testPythonPath } from "../helpers/worker.ts";

const dir = mkdtempSync(join(tmpdir(), "pyoco-pip-kill-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("kill -9 of the worker ends its running pip call (no orphaned install)", async () => {
  const pidFile = join(dir, "python.pid");
  const script = join(dir, "worker-stand-in.ts");
  writeFileSync(script, [
    `import { runPython } from ${JSON.stringify(join(REPO_ROOT, "src/worker/pip.ts"))};`,
    `await runPython(${JSON.stringify(testPythonPath())}, ["-c", ${JSON.stringify(`import os, time\nopen(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))\ntime.sleep(120)`)}], { timeoutMs: 300_000 });`,
  ].join("\n"));
  const worker = Bun.spawn([process.execPath, script], { stdout: "ignore", stderr: "pipe" });
  const pythonPid = await waitFor(() => existsSync(pidFile) && Number(readFileSync(pidFile, "utf8")) > 0 ? Number(readFileSync(pidFile, "utf8")) : null,
    { timeoutMs: 15_000, intervalMs: 50, what: "the pip stand-in to start" });
  expect(isAlive(pythonPid)).toBe(true);

  worker.kill("SIGKILL");
  await worker.exited;
  const t0 = performance.now();
  await waitFor(() => !isAlive(pythonPid), { timeoutMs: 5_000, intervalMs: 50, what: `python ${pythonPid} to end with its worker` })
    .catch((err) => { try { process.kill(pythonPid, "SIGKILL"); } catch { /* gone */ } throw err; });
  console.log(`[pip kill] python call ended ${(performance.now() - t0).toFixed(0)} ms after the worker's kill -9`);
});
