/**
 * Find the real Python interpreter once. `python3` on PATH may be a pyenv shim that costs
 * 70–140 ms per spawn (toolchain.md §8), so the runner always spawns the resolved executable.
 */
import { spawnSupervised } from "../lib/proc.ts";
import { sideEffect } from "../lib/dry-run.ts";

const cache = new Map<string, Promise<string>>();

/** Thrown when no usable Python interpreter could be found. */
export class PythonNotFoundError extends Error {
  constructor(message: string, options?: ErrorOptions) { super(message, options); this.name = "PythonNotFoundError"; }
}

/**
 * An explicit path is returned as is. Otherwise `python3` (from PATH) is asked once for
 * `sys.executable`, and that real path is cached for the life of the process.
 */
export function resolvePython(explicit?: string): Promise<string> {
  sideEffect("looking for Python");
  if (explicit) return Promise.resolve(explicit);
  const key = "python3";
  let found = cache.get(key);
  if (!found) {
    found = askExecutable(key);
    found.catch(() => cache.delete(key)); // do not cache failures
    cache.set(key, found);
  }
  return found;
}

async function askExecutable(command: string): Promise<string> {
  const out: Uint8Array[] = [];
  let child;
  try {
    child = spawnSupervised({
      cmd: [command, "-c", "import sys;print(sys.executable)"],
      detached: false,
      onStdout: (c) => out.push(c),
    });
  } catch (err) {
    throw new PythonNotFoundError(`${command} not found on PATH`, { cause: err });
  }
  child.closeStdin();
  const exit = await child.exited;
  const path = Buffer.concat(out).toString("utf8").trim();
  if (exit.exitCode !== 0 || !path) {
    throw new PythonNotFoundError(`${command} -c 'import sys;print(sys.executable)' failed (exit ${exit.exitCode ?? exit.signal})`);
  }
  return path;
}
