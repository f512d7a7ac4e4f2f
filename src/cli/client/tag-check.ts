/**
 * After a submit: warn on stderr when no live worker serves the run's tag (from `GET /queues`),
 * so "my run stays PENDING" has an answer at once. Best effort: any failure (an older gateway
 * without /queues, auth, network) prints nothing — the submit itself already succeeded.
 */
import type { PyocoHttpClient } from "../../client/index.ts";
import { LiveClient } from "../../client/live.ts";
import type { CliIo } from "../io.ts";

export async function warnIfTagUnserved(io: CliIo, client: PyocoHttpClient, runId: string, tag: string | undefined): Promise<void> {
  try {
    const routed = tag ?? String((await client.getRun(runId)).tag ?? "");
    if (!routed) return;
    const { items } = await new LiveClient(client).queues();
    const row = items.find((q) => q?.tag === routed);
    if (row && Number(row.workers) > 0) return;
    const waiting = row ? Number(row.waiting) : 0;
    io.stderr(`warning: no live worker serves tag '${routed}'${waiting ? ` (${waiting} run(s) waiting)` : ""}; the run stays PENDING until one does: `
      + `start one with \`pyoco worker --tags ${routed}\` (\`pyoco client workers --output table\` shows the workers and their tags)\n`);
  } catch { /* best effort */ }
}
