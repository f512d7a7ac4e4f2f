/** `pyoco client submit-yaml`: POST /runs/yaml with a single-flow flow.yaml (params = flow.defaults). */
import type { CommandHelp, FlagTable } from "../args.ts";
import { CliFailure } from "../errors.ts";
import { HttpStatusError } from "../../client/index.ts";
import { parseClientFlags, printJson, readInputFile, requireArgs, type ClientSubcommand } from "./common.ts";
import { warnIfTagUnserved } from "./tag-check.ts";

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

interface Problem { message?: string; path?: unknown[]; line?: number; column?: number; expected?: string }

/** `flow.yaml:4:1: unknown top-level key 'extra_top' (expected: …)` — one line per problem, as compilers print them. */
export function problemLines(file: string, problems: Problem[]): string[] {
  return problems.map((p) => {
    const where = p.line ? `${file}:${p.line}:${p.column ?? 1}` : file;
    const key = Array.isArray(p.path) && p.path.length ? ` [${p.path.join(".")}]` : "";
    return `${where}: ${p.message ?? "invalid"}${key}${p.expected ? ` (expected: ${p.expected})` : ""}`;
  });
}

/** A 422 "invalid workflow yaml" with the gateway's additive `errors` → a block listing them; else null. */
function explainRefusal(err: unknown, file: string): CliFailure | null {
  if (!(err instanceof HttpStatusError) || err.status !== 422 || err.detail !== "invalid workflow yaml") return null;
  let body: { reason?: string; errors?: Problem[] };
  try { body = JSON.parse(err.body); } catch { return null; }
  if (!Array.isArray(body.errors) || body.errors.length === 0) return null;
  return new CliFailure("ERR-PYOCO-0002", "ERR-PYOCO-0002: flow.yaml was refused", `${err.message.split(":")[0]}: invalid workflow yaml (${body.reason ?? "?"})`,
    `fix ${file} at the place${body.errors.length > 1 ? "s" : ""} listed above and submit again`, problemLines(file, body.errors).join("\n  "));
}

const submitYaml: ClientSubcommand = {
  summary: "submit a run from a single-flow flow.yaml",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, FLAGS, HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    requireArgs(HELP, FLAGS, p.flags, ["workflow-file", "flow-name", "tag"]);
    const path = p.flags["workflow-file"]!;
    const workflow = readInputFile(ctx.io, path);
    let result;
    try {
      result = await p.client.submitYaml({ workflow, flowName: p.flags["flow-name"]!, tag: p.flags.tag! });
    } catch (err) {
      throw explainRefusal(err, path) ?? err;
    }
    printJson(ctx.io, result);
    await warnIfTagUnserved(ctx.io, p.client, result.run_id, p.flags.tag);
    return 0;
  },
};
export default submitYaml;
