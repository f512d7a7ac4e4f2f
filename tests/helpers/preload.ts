/**
 * Loaded before every test file: after the file's tests, fail if a child process of this test
 * process is still alive (Playwright's orphan check, cut down to Linux procfs).
 */
import { afterAll } from "bun:test";
import { liveChildren } from "./processes.ts";

afterAll(async () => {
  // Give processes stopped in the file's own afterAll a moment to be reaped.
  const end = Date.now() + 3000;
  let left = liveChildren();
  while (left.length && Date.now() < end) { await Bun.sleep(50); left = liveChildren(); }
  if (left.length) throw new Error(`test left child processes running: ${left.map((p) => `${p.pid} ${p.cmd}`).join("; ")}`);
});
