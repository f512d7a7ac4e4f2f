/**
 * The original's command names (http-contract.md §5): the binary invoked through a link named
 * `pyoco-server`, `pyoco-worker`, `pyoco-client` or `pyoco-server-admin` behaves as that program.
 */

/** Link name → the pyoco subcommand it runs. */
export const DROP_IN_NAMES = {
  "pyoco-server": "up",
  "pyoco-worker": "worker",
  "pyoco-client": "client",
  "pyoco-server-admin": "admin",
} as const;

/**
 * The pyoco argv for a program invoked as `name` with `args`; `args` unchanged for any other name.
 * `pyoco-server` follows the original's normalisation: no args, a flag first (`--port 9001`) or
 * `up` → `up …`; anything else is left for the dispatcher to refuse as an unknown command.
 */
export function dropInArgv(name: string, args: string[]): string[] {
  const sub = (DROP_IN_NAMES as Record<string, string>)[name.replace(/\.exe$/i, "")];
  if (!sub) return args;
  if (sub === "up") {
    if (args[0] === "up") return args;
    if (args.length === 0 || args[0]!.startsWith("-")) return ["up", ...args];
    return args;
  }
  return [sub, ...args];
}
