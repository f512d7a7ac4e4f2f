/** `pyoco version`: our version, the Bun runtime and the git commit the binary was built from. */
import pkg from "../../package.json" with { type: "json" };
import type { Command } from "./command.ts";
import { parseFlags } from "./args.ts";

declare const PYOCO_BUILD_COMMIT: string | undefined;

export function buildInfo(): { version: string; bun: string; commit: string } {
  const commit = typeof PYOCO_BUILD_COMMIT === "string" ? PYOCO_BUILD_COMMIT : "unknown (not a release build)";
  return { version: pkg.version, bun: Bun.version, commit };
}

const command: Command = {
  name: "version",
  summary: "print the version, the Bun version and the build commit",
  style: "argparse",
  async run(argv, io) {
    const parsed = parseFlags(argv, { json: { type: "boolean", description: "print as JSON" } } as const,
      { program: "pyoco version", summary: this.summary, examples: ["pyoco version", "pyoco version --json"] });
    if (parsed.help) { io.stdout(parsed.text); return 0; }
    const info = buildInfo();
    io.stdout(parsed.flags.json ? JSON.stringify(info) + "\n" : `pyoco ${info.version}\nbun ${info.bun}\ncommit ${info.commit}\n`);
    return 0;
  },
};
export default command;
