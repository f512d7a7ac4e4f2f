/**
 * Loaded before every test file: after the file's tests, fail if a child process of this test
 * process is still alive (Playwright's orphan check, cut down to Linux procfs).
 */
import { afterAll } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";

export function liveChildren(parentPid = process.pid): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  let entries: string[] = [];
  try { entries = readdirSync("/proc"); } catch { return out; }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const state = fields[0];
      const ppid = Number(fields[1]);
      if (ppid !== parentPid || state === "Z") continue;
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      out.push({ pid: Number(name), cmd });
    } catch { /* process ended meanwhile */ }
  }
  return out;
}

afterAll(async () => {
  // Give processes stopped in the file's own afterAll a moment to be reaped.
  const end = Date.now() + 3000;
  let left = liveChildren();
  while (left.length && Date.now() < end) { await Bun.sleep(50); left = liveChildren(); }
  if (left.length) throw new Error(`test left child processes running: ${left.map((p) => `${p.pid} ${p.cmd}`).join("; ")}`);
});
