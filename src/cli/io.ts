/** What a command gets from main.ts: output streams, the environment, and shutdown signals. */
import type { Env } from "../config/index.ts";

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The raw process environment (config/ decides how to read it). */
  env: Env;
  cwd: string;
  /** Aborted on the first SIGINT/SIGTERM: stop gracefully. */
  signal: AbortSignal;
  /** Aborted on a second signal: stop now. */
  force: AbortSignal;
  /** Which signal arrived first, if any. */
  signalName(): string | null;
  /** Path of this executable and the arguments that start it again (managed children). */
  self: { execPath: string; prefixArgs: string[] };
}
