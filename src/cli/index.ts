/**
 * The command table and `run(argv, io) → exit code`. Subcommands load lazily; every error is
 * rendered here, in one place, in the style of the subcommand that failed.
 */
import type { Command } from "./command.ts";
import { renderError } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { dropInArgv } from "./drop-in.ts";

export const commands = {
  up: () => import("./up.ts"),
  worker: () => import("./worker.ts"),
  client: () => import("./client/index.ts"),
  admin: () => import("./admin.ts"),
  nats: () => import("./nats.ts"),
  version: () => import("./version.ts"),
  "install-links": () => import("./install-links.ts"),
} satisfies Record<string, () => Promise<{ default: Command }>>;

const SUMMARIES: Record<keyof typeof commands, string> = {
  up: "start the HTTP gateway (optionally with a local NATS server and a managed worker)",
  worker: "pull runs by tag and execute them in supervised Python Pyoco runners",
  client: "submit, list, watch and cancel runs over HTTP",
  admin: "manage API keys",
  nats: "start and inspect a local NATS JetStream server",
  version: "print version information",
  "install-links": "create pyoco-server/-worker/-client/-server-admin links (the original's command names)",
};

export function mainHelp(): string {
  const rows = Object.entries(SUMMARIES).map(([name, s]) => `  ${name.padEnd(13)} ${s}`);
  return [
    "pyoco — distributed Pyoco workflow runs over NATS JetStream, in one binary", "",
    "usage: pyoco <command> [options]", "", "commands:", ...rows, "",
    "Run `pyoco <command> --help` for the options of a command.", "",
    "examples:",
    "  pyoco up --with-nats-bootstrap --with-worker",
    "  pyoco worker --tags cpu --flow-resolver my_flows.py:resolve",
    "  pyoco client list --output table", "",
    "Invoked through a link named pyoco-server, pyoco-worker, pyoco-client or pyoco-server-admin",
    "(see `pyoco install-links`), it behaves as that program of pyoco-server.", "",
  ].join("\n");
}

/** `run` for a program invoked as `invokedAs` (the basename of argv[0]): drop-in names map to their subcommand. */
export function runAs(invokedAs: string, argv: string[], io: CliIo): Promise<number> {
  return run(dropInArgv(invokedAs, argv), io);
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "-h" || name === "--help" || name === "help") { io.stdout(mainHelp()); return 0; }
  if (name === "--version" || name === "-V") return run(["version"], io);
  if (!(name in commands)) {
    io.stderr(`usage: pyoco <command> [options]\npyoco: error: unknown command '${name}' (choose from ${Object.keys(commands).join(", ")})\n`
      + `hint: pass one of the commands, e.g. \`pyoco client list --output table\` (all commands: pyoco --help)\n`);
    return 2;
  }
  const command = (await commands[name as keyof typeof commands]()).default;
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (io.signal.aborted && !(err instanceof Error && "code" in err)) return 130;
    const { text, exitCode } = renderError(err, command.style);
    io.stderr(text);
    return exitCode;
  }
}
