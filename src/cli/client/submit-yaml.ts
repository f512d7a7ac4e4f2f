/** `pyoco client submit-yaml`: POST /runs/yaml with a single-flow flow.yaml (params = flow.defaults). */
import type { CommandHelp, FlagTable } from "../args.ts";
import { parseClientFlags, printJson, readInputFile, requireArgs, type ClientSubcommand } from "./common.ts";

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
    const workflow = readInputFile(ctx.io, p.flags["workflow-file"]!);
    printJson(ctx.io, await p.client.submitYaml({ workflow, flowName: p.flags["flow-name"]!, tag: p.flags.tag! }));
    return 0;
  },
};
export default submitYaml;
