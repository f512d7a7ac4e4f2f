/**
 * `pyoco install-links DIR`: symlinks named like the original's console scripts (`pyoco-server`,
 * `pyoco-worker`, `pyoco-client`, `pyoco-server-admin`) pointing at this binary, so scripts and
 * habits written for pyoco-server keep working (cli/index.ts maps the name to the subcommand).
 */
import { existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync, unlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseFlags, usageError, type CommandHelp } from "./args.ts";
import type { Command } from "./command.ts";
import { CliFailure } from "./errors.ts";
import { DROP_IN_NAMES } from "./drop-in.ts";
import { sideEffect } from "../lib/dry-run.ts";

const FLAGS = { force: { type: "boolean", description: "replace existing files or links of those names" } } as const;
const HELP: CommandHelp = {
  program: "pyoco install-links", summary: "create pyoco-server, pyoco-worker, pyoco-client and pyoco-server-admin links to this binary",
  positionals: "DIR",
  notes: ["Each link runs the matching subcommand with the original's flags: pyoco-server = pyoco up (no subcommand needed),",
    "pyoco-worker = pyoco worker, pyoco-client = pyoco client, pyoco-server-admin = pyoco admin.",
    "Same as: for n in pyoco-server pyoco-worker pyoco-client pyoco-server-admin; do ln -s \"$(command -v pyoco)\" DIR/$n; done"],
  examples: ["pyoco install-links ~/.local/bin", "pyoco install-links /usr/local/bin --force"],
};

const command: Command = {
  name: "install-links", summary: HELP.summary, style: "argparse",
  async run(argv, io) {
    const p = parseFlags(argv, FLAGS, HELP, { maxPositionals: 1 });
    if (p.help) { io.stdout(p.text); return 0; }
    const dirArg = p.positionals[0];
    if (!dirArg) throw usageError("the following arguments are required: DIR", HELP, FLAGS, "pass the directory for the links, e.g. `pyoco install-links ~/.local/bin`");
    if (io.self.prefixArgs.length > 0) {
      throw new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: not a built binary", `this is ${io.self.execPath} running a script, not the pyoco executable`,
        "build it (`bun run build`) and run `dist/pyoco install-links DIR`");
    }
    const dir = resolve(io.cwd, dirArg);
    sideEffect(`creating links in ${dir}`);
    mkdirSync(dir, { recursive: true });
    const target = io.self.execPath;
    for (const name of Object.keys(DROP_IN_NAMES)) {
      const link = join(dir, name);
      const present = existsSync(link) || isLink(link);
      if (present && isLink(link) && readlinkSync(link) === target) { io.stdout(`ok      ${link} -> ${target}\n`); continue; }
      if (present && !p.flags.force) {
        throw new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: a file is in the way", `${link} already exists`, `remove it, or pass --force to replace it`);
      }
      if (present) unlinkSync(link);
      symlinkSync(target, link);
      io.stdout(`created ${link} -> ${target}\n`);
    }
    return 0;
  },
};

function isLink(path: string): boolean {
  try { return lstatSync(path).isSymbolicLink(); } catch { return false; }
}

export default command;
