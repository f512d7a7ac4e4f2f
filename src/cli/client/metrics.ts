/** `pyoco client metrics`: `GET /metrics` (Prometheus text) printed as received, as the original did. */
import type { CommandHelp } from "../args.ts";
import { LiveClient } from "../../client/live.ts";
import { parseClientFlags, type ClientSubcommand } from "./common.ts";

const HELP: CommandHelp = {
  program: "pyoco client metrics",
  summary: "print the gateway's Prometheus metrics (GET /metrics) as received",
  notes: ["In api_key mode /metrics needs a key (--api-key) unless the gateway sets PYOCO_METRICS_PUBLIC=1."],
  examples: ["pyoco client metrics", "pyoco client metrics | grep pyoco_runs_total"],
};

const metrics: ClientSubcommand = {
  summary: "print the gateway's Prometheus metrics as received",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, {}, HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    ctx.io.stdout(await new LiveClient(p.client).metrics());
    return 0;
  },
};
export default metrics;
