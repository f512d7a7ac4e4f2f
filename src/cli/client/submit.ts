/** `pyoco client submit`: POST /runs with params composed from a file, JSON and key=value pairs. */
import type { CommandHelp, FlagTable } from "../args.ts";
import { parseClientFlags, printJson, type ClientSubcommand } from "./common.ts";
import { composeParams, splitCsv } from "./params.ts";
import { warnIfTagUnserved } from "./tag-check.ts";

const FLAGS = {
  "flow-name": { type: "string", default: "main", value: "NAME", description: "flow to run" },
  params: { type: "string", value: "JSON", description: "params as a JSON object" },
  "params-file": { type: "string", value: "PATH", description: "params from a JSON or YAML file (a mapping)" },
  param: { type: "string", multiple: true, value: "KEY=VALUE", description: "one param; the value is JSON when it parses (99, true, [1,2]), else text; repeatable" },
  tag: { type: "string", value: "TAG", description: "routing tag (default: the server's PYOCO_DEFAULT_TAG)" },
  tags: { type: "string", value: "CSV", description: "labels, comma separated" },
} as const satisfies FlagTable;

const HELP: CommandHelp = {
  program: "pyoco client submit",
  summary: "submit a run (prints {\"run_id\", \"status\", \"bundle_hash\"})",
  notes: ["params precedence, key by key: --params-file < --params < each --param in order"],
  examples: [
    "pyoco client submit --flow-name main --param x=1 --param name=alice --tag cpu",
    "pyoco client submit --params-file params.yaml --params '{\"y\": 2}' --param z=99",
  ],
};

const submit: ClientSubcommand = {
  summary: "submit a run by flow name",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, FLAGS, HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    const params = composeParams({ file: p.flags["params-file"], json: p.flags.params, pairs: p.flags.param, cwd: ctx.io.cwd, program: "pyoco client" });
    const result = await p.client.submit({ flowName: p.flags["flow-name"], params, tag: p.flags.tag, tags: splitCsv(p.flags.tags) });
    printJson(ctx.io, result);
    await warnIfTagUnserved(ctx.io, p.client, result.run_id, p.flags.tag);
    return 0;
  },
};
export default submit;
