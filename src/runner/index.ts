/**
 * Runner area: runs Pyoco flows in supervised, pre-warmed Python processes that speak protocol v1
 * (pyoco-runner.md §5–§6). Knows nothing about NATS. May import src/lib only.
 *
 *   const pool = new RunnerPool({ python: await resolvePython(), resolver: "pkg.flows:resolve",
 *     maxRunsPerProcess: 1000, concurrency: 1, workDir: ".pyoco/runner" }, log);
 *   await pool.start();                                   // rejects with RunnerStartupError
 *   const run = await pool.run(startMessage, (event) => applyEvent(event));
 *   const outcome = await run.outcome;                    // finished | crashed | startup_failed
 *   await pool.close({ graceMs: 10_000 });
 */
export { RunnerPool, RunnerStartupError, PoolClosedError, absolutizeResolver } from "./pool.ts";
export { resolvePython, PythonNotFoundError } from "./python.ts";
export { RunnerSession, runnerCommand } from "./session.ts";
export type { Handshake, SessionExit, SessionOptions, SessionRunResult, SessionState } from "./session.ts";
export { decodeLine, encodeMessage, isRunEvent } from "./protocol.ts";
export type { DecodeFailure } from "./protocol.ts";
export { LineSplitter } from "./lines.ts";
export { RunnerStderr, RUNNER_LINE_MARK, stripLineMarks } from "./stderr-lines.ts";
export type { LineEvent } from "./lines.ts";
export { extractRunnerScript, runnerScriptName, RUNNER_SOURCE } from "./script.ts";
export * from "./types.ts";
