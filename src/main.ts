/**
 * Entry point: builds the IO context, hands argv to the CLI and sets the exit code.
 * The only place that installs signal handlers or exits the process.
 */
import { basename } from "node:path";
import { runAs } from "./cli/index.ts";
import { processEnv } from "./config/index.ts";

const graceful = new AbortController();
const force = new AbortController();
let firstSignal: string | null = null;

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (!firstSignal) { firstSignal = sig; graceful.abort(); return; }
    force.abort();   // a second signal skips the graceful path
  });
}

// Inside a compiled binary argv[1] is the virtual entry; restart children with execPath alone.
const compiled = import.meta.path.startsWith("/$bunfs/") || import.meta.path.includes("~BUN");
const self = { execPath: process.execPath, prefixArgs: compiled ? [] : [import.meta.path] };

// argv0 is the name it was invoked by (a link named pyoco-server, …, keeps its own name there).
const code = await runAs(basename(process.argv0), process.argv.slice(2), {
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
  env: processEnv(),
  cwd: process.cwd(),
  signal: graceful.signal,
  force: force.signal,
  signalName: () => firstSignal,
  self,
});
process.exit(code);
