/** An in-process CliIo that captures stdout/stderr, for `run(argv, io)` tests. */
import type { CliIo } from "../../src/cli/io.ts";

export function captureIo(env: Record<string, string> = {}, opts: { signal?: AbortSignal } = {}): CliIo & { out: string; err: string } {
  const io = {
    out: "", err: "",
    stdout(t: string) { io.out += t; }, stderr(t: string) { io.err += t; },
    env: { PYOCO_LOAD_DOTENV: "0", ...env }, cwd: process.cwd(),
    signal: opts.signal ?? new AbortController().signal, force: new AbortController().signal,
    signalName: () => null, self: { execPath: process.execPath, prefixArgs: ["src/main.ts"] },
  };
  return io;
}

export interface ClientResult { code: number; out: string; err: string; json: any }

/** Runs `pyoco client --server <server()> …` in-process in `cwd()`; stdout is parsed as JSON when it is JSON. */
export function clientRunner(server: () => string, cwd: () => string): (...args: string[]) => Promise<ClientResult> {
  return async (...args) => {
    const { run } = await import("../../src/cli/index.ts");
    const io = captureIo();
    io.cwd = cwd();
    const code = await run(["client", "--server", server(), ...args], io);
    let json: any;
    try { json = JSON.parse(io.out); } catch { json = undefined; }
    return { code, out: io.out, err: io.err, json };
  };
}
