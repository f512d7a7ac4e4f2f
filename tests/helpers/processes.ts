/** Child processes of a process, read from Linux procfs (orphan checks, "which runner took the job"). */
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

/** True while a process with this pid exists and is not a zombie (a zombie still answers signal 0). */
export function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); } catch { return false; }
  try { return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8")); } catch { return false; }
}
