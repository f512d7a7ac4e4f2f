/** `pyoco client submit-yaml`: POST /runs/yaml with a single-flow flow.yaml (params = flow.defaults). */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CommandHelp, FlagTable } from "../args.ts";
import { CliFailure } from "../errors.ts";
import { parseClientFlags, printJson, requireArgs, type ClientSubcommand } from "./common.ts";

const FLAGS = {
  "workflow-file": { type: "string", value: "PATH", description: "the flow.yaml to upload (required)" },
  "flow-name": { type: "string", value: "NAME", description: "flow name recorded for the run (required)" },
  tag: { type: "string", value: "TAG", description: "routing tag (required)" },
} as const satisfies FlagTable;

const HELP: CommandHelp = {
  program: "pyoco client submit-yaml",
  summary: "submit a run from a flow.yaml",
  examples: ["pyoco client submit-yaml --workflow-file flow.yaml --flow-name main --tag cpu"],
};

const submitYaml: ClientSubcommand = {
  summary: "submit a run from a single-flow flow.yaml",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, FLAGS, HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    requireArgs(HELP, FLAGS, p.flags, ["workflow-file", "flow-name", "tag"]);
    const path = p.flags["workflow-file"]!;
    let workflow: Uint8Array;
    try { workflow = readFileSync(resolve(ctx.io.cwd, path)); } catch (err) {
      throw new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: file I/O error", (err as Error).message, "check file path and permission");
    }
    printJson(ctx.io, await p.client.submitYaml({ workflow, flowName: p.flags["flow-name"]!, tag: p.flags.tag! }));
    return 0;
  },
};
export default submitYaml;
