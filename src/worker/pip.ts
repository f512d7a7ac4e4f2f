/**
 * The worker's Python packaging calls, each a supervised subprocess of the worker's own
 * interpreter with a deadline: its PEP 425 tags, `pip install --no-index --no-deps --target`
 * (air-gapped: only the given files), and `pip check` over a target directory.
 */
import { spawnSupervised } from "../lib/proc.ts";

export interface PipResult { ok: boolean; code: number | null; stdout: string; stderr: string; timedOut: boolean }

/**
 * Runs `python args…` as its child and kills it when its own stdin reaches EOF: the worker holds
 * that pipe open, so a worker that dies (even by kill -9) takes a pip install with it instead of
 * leaving it writing into a sync generation nobody owns. Exit code and output pass through.
 */
const DIE_WITH_WORKER = `
import os, subprocess, sys, threading
child = subprocess.Popen([sys.executable] + sys.argv[1:], stdin=subprocess.DEVNULL)
def watch():
    try:
        while os.read(0, 65536):
            pass
    except OSError:
        pass
    if child.poll() is None:
        child.kill()
threading.Thread(target=watch, daemon=True).start()
code = child.wait()
# os._exit: a normal exit would wait at shutdown for the stdin lock the watching thread holds.
os._exit(code if code >= 0 else 128 - code)
`;

/** Run `python args…` with a deadline; the whole process group is killed on timeout or abort, and when the worker dies. */
export async function runPython(python: string, args: string[], opts: { timeoutMs: number; env?: Record<string, string | undefined>; signal?: AbortSignal }): Promise<PipResult> {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  let child;
  try {
    child = spawnSupervised({ cmd: [python, "-c", DIE_WITH_WORKER, ...args], env: opts.env ?? process.env, onStdout: (c) => out.push(c), onStderr: (c) => err.push(c) });
  } catch (e) {
    return { ok: false, code: null, stdout: "", stderr: (e as Error).message, timedOut: false };
  }
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; void child.stop({ graceMs: 1000 }); }, opts.timeoutMs);
  const abort = () => void child.stop({ graceMs: 500 });
  opts.signal?.addEventListener("abort", abort, { once: true });
  const exit = await child.exited;
  clearTimeout(timer);
  opts.signal?.removeEventListener("abort", abort);
  const text = (parts: Uint8Array[]) => Buffer.concat(parts).toString("utf8");
  return { ok: exit.exitCode === 0 && !timedOut, code: exit.exitCode, stdout: text(out), stderr: text(err), timedOut };
}

const SYS_TAGS_SCRIPT = `
import json
try:
    from packaging.tags import sys_tags
except Exception:
    from pip._vendor.packaging.tags import sys_tags
print(json.dumps([str(t) for t in sys_tags()]))
`;

/** The PEP 425 tags the interpreter accepts (packaging.tags.sys_tags, or pip's vendored copy). */
export async function supportedTags(python: string, timeoutMs = 30_000): Promise<Set<string>> {
  const r = await runPython(python, ["-c", SYS_TAGS_SCRIPT], { timeoutMs });
  if (!r.ok) throw new Error(`cannot read the wheel tags of ${python}: ${tail(r.stderr || r.stdout, 500) || `exit ${r.code}`}`);
  return new Set(JSON.parse(r.stdout.trim()) as string[]);
}

/** pip's message, trimmed to its last `max` characters (the reason is at the end). */
export function tail(text: string, max = 2000): string {
  const t = text.trim();
  return t.length > max ? t.slice(t.length - max) : t;
}

/** `pip install --no-index --no-deps --target <dir> <files…>`: nothing is fetched from anywhere. */
export function pipInstallTarget(python: string, target: string, files: string[], opts: { timeoutMs: number; signal?: AbortSignal }): Promise<PipResult> {
  return runPython(python, [
    "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--no-index", "--no-deps", "--no-warn-script-location",
    "--target", target, ...files,
  ], { ...opts, env: { ...process.env, PIP_NO_INDEX: "1", PIP_CONFIG_FILE: "/dev/null" } });
}

export interface UnmetRequirement { package: string; reason: string }

/**
 * `pip check` with `target` first on the path: the requirements of packages in `packages`
 * (canonical names) that the target, the runners' base PYTHONPATH and the interpreter's own
 * site-packages do not satisfy.
 */
export async function pipCheck(python: string, target: string, packages: Set<string>, opts: { timeoutMs: number; basePythonPath?: string; signal?: AbortSignal }): Promise<UnmetRequirement[]> {
  const env = { ...process.env, PYTHONPATH: [target, opts.basePythonPath].filter(Boolean).join(":"), PIP_CONFIG_FILE: "/dev/null" };
  const r = await runPython(python, ["-m", "pip", "check", "--disable-pip-version-check"], { ...opts, env });
  if (r.ok) return [];
  const unmet: UnmetRequirement[] = [];
  for (const line of r.stdout.split("\n")) {
    const m = /^(\S+) \S+ (?:requires|has requirement|is not supported)/.exec(line.trim());
    if (!m) continue;
    const name = m[1]!.replace(/[-_.]+/g, "-").toLowerCase();
    if (packages.has(name)) unmet.push({ package: name, reason: line.trim() });
  }
  return unmet;
}
