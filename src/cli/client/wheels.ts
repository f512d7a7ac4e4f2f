/**
 * `pyoco client wheels | wheel-upload | wheel-delete | wheel-history` (http-contract.md §5.2):
 * the wheel registry, JSON (the original's format) or a table. `wheel-upload` streams the file
 * and shows a progress bar on a terminal.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { WheelsClient } from "../../client/wheels.ts";
import { numberFlag, type CommandHelp, type FlagTable } from "../args.ts";
import { preflightWheel, type PreflightInput } from "../../domain/wheel-preflight.ts";
import { openZip, ZipError } from "../../lib/zip.ts";
import { ARG_ERROR_HEADER, CliFailure, CliUsageError } from "../errors.ts";
import type { CliIo } from "../io.ts";
import { GLOBAL_FLAGS, parseClientFlags, printJson, requireArgs, type ClientSubcommand } from "./common.ts";
import { usageLine } from "../args.ts";
import { renderTable } from "./table.ts";

const OUTPUT = { type: "string", value: "FORMAT", default: "json", choices: ["json", "table"], description: "output format" } as const;

const WHEEL_TAG = /^[A-Za-z0-9_-]+$/;

function fmtBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function fmtTime(sec: unknown): string {
  return typeof sec === "number" ? new Date(sec * 1000).toISOString().replace(/\.\d+Z$/, "Z") : "-";
}

// ── wheels ──────────────────────────────────────────────────────────────────────────────────

const LIST_HELP: CommandHelp = {
  program: "pyoco client wheels",
  summary: "list the wheels in the registry (name, size, tags, upload time)",
  examples: ["pyoco client wheels", "pyoco client wheels --output table"],
};

export const wheels: ClientSubcommand = {
  summary: LIST_HELP.summary,
  async run(argv, ctx) {
    const flags = { output: OUTPUT } satisfies FlagTable;
    const p = parseClientFlags(argv, ctx, flags, LIST_HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    const list = await new WheelsClient(p.client).list();
    if (p.flags.output === "table") {
      ctx.io.stdout(renderTable(["name", "size", "tags", "mtime", "sha256"], list.map((w) => ({
        name: w.name, size: fmtBytes(w.size_bytes), tags: w.tags.length ? w.tags.join(",") : "(all workers)", mtime: w.mtime.replace(/\.\d+/, ""),
        sha256: (w.sha256_b64 ?? "").slice(0, 12),
      }))));
    } else printJson(ctx.io, list);
    return 0;
  },
};

// ── wheel-upload ────────────────────────────────────────────────────────────────────────────

const UPLOAD_FLAGS = {
  "wheel-file": { type: "string", value: "PATH", description: "the .whl to upload (required); its file name is the registry name" },
  tags: { type: "string", value: "a,b", description: "routing tags (CSV); only workers with one of them install it; none = every worker" },
  replace: { type: "boolean", description: "sent as replace=true (default)" },
  "no-replace": { type: "boolean", description: "sent as replace=false: refuse if a wheel of that exact name exists" },
  "no-progress": { type: "boolean", description: "no progress bar even on a terminal" },
  preflight: { type: "string", value: "MODE", default: "strict", choices: ["strict", "warn", "off"], description: "check METADATA and entry points before uploading: strict refuses, warn only reports, off skips" },
  "allow-no-entry-points": { type: "boolean", description: "preflight: a wheel without entry points is a warning, not an error" },
  "allow-missing-usage-doc": { type: "boolean", description: "preflight: a wheel without usage documentation is a warning, not an error" },
} as const satisfies FlagTable;

const UPLOAD_HELP: CommandHelp = {
  program: "pyoco client wheel-upload",
  summary: "upload a wheel; workers whose tags match install its newest version between runs",
  examples: [
    "pyoco client wheel-upload --wheel-file dist/my_tasks-1.2.0-py3-none-any.whl --tags cpu,gpu",
    "pyoco client wheel-upload --wheel-file dist/my_tasks-1.2.1-py3-none-any.whl",
  ],
  notes: [
    "Only a strictly greater version of a package is accepted (409 otherwise: bump the version).",
    "Preflight (as the original client): METADATA needs Name and Version, usage documentation (a long description of 80+ characters or a Project-URL labelled Documentation/Docs/Doc/Usage) and entry points in entry_points.txt.",
  ],
};

/** The two members the preflight reads (the first of each in sorted order), or validZip false. */
async function inspectWheel(path: string): Promise<PreflightInput> {
  try {
    const zip = await openZip(path);
    const member = async (file: string): Promise<string | null> => {
      const entry = zip.entries.filter((e) => /^[^/]+\.dist-info\/[^/]+$/.test(e.name) && e.name.endsWith(`/${file}`))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0];
      return entry ? new TextDecoder("utf-8", { fatal: false }).decode(await zip.read(entry)) : null;
    };
    return { validZip: true, metadata: await member("METADATA"), entryPoints: await member("entry_points.txt") };
  } catch (err) {
    if (err instanceof ZipError) return { validZip: false, metadata: null, entryPoints: null };
    throw err;
  }
}

/** Preflight in `mode`: prints warnings (and, with warn, errors); with strict, errors refuse the upload. */
async function preflight(path: string, mode: string, flags: { "allow-no-entry-points"?: boolean; "allow-missing-usage-doc"?: boolean }, io: CliIo): Promise<void> {
  if (mode === "off" || !existsSync(path)) return;   // a missing file gets the upload's own file error
  const { errors, warnings } = preflightWheel(await inspectWheel(path), {
    allowNoEntryPoints: flags["allow-no-entry-points"] === true, allowMissingUsageDoc: flags["allow-missing-usage-doc"] === true,
  });
  for (const w of warnings) io.stderr(`[pyoco-client][preflight][warn] ${w}\n`);
  if (errors.length === 0) return;
  if (mode === "warn") { for (const e of errors) io.stderr(`[pyoco-client][preflight][warn] ${e}\n`); return; }
  throw new CliFailure("ERR-PYOCO-0018", ARG_ERROR_HEADER, `wheel preflight failed: ${errors.join("; ")}`, "fix wheel metadata/entry_points or use --preflight warn/off");
}

function progressBar(write: (s: string) => void, name: string): (sent: number, total: number) => void {
  let last = -1;
  return (sent, total) => {
    const pct = total > 0 ? Math.floor((sent / total) * 100) : 100;
    if (pct === last) return;
    last = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    write(`\r${name} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(pct).padStart(3)}% ${fmtBytes(sent)}/${fmtBytes(total)}${sent >= total ? "\n" : ""}`);
  };
}

export const wheelUpload: ClientSubcommand = {
  summary: UPLOAD_HELP.summary,
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, UPLOAD_FLAGS, UPLOAD_HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    requireArgs(UPLOAD_HELP, UPLOAD_FLAGS, p.flags, ["wheel-file"]);
    if (p.flags.replace && p.flags["no-replace"]) {
      throw new CliUsageError("argument --no-replace: not allowed with argument --replace", usageLine(UPLOAD_HELP, { ...UPLOAD_FLAGS, ...GLOBAL_FLAGS }), UPLOAD_HELP.program);
    }
    const tags = [...new Set((p.flags.tags ?? "").split(",").map((t) => t.trim()).filter(Boolean))];
    const bad = tags.find((t) => !WHEEL_TAG.test(t));
    if (bad !== undefined) {
      throw new CliUsageError(`argument --tags: invalid tag '${bad}' (allowed: letters, digits, '_' and '-')`, usageLine(UPLOAD_HELP, { ...UPLOAD_FLAGS, ...GLOBAL_FLAGS }), UPLOAD_HELP.program);
    }
    const path = resolve(ctx.io.cwd, p.flags["wheel-file"]!);
    await preflight(path, p.flags.preflight ?? "strict", p.flags, ctx.io);
    const showProgress = !p.flags["no-progress"] && process.stderr.isTTY === true;
    const info = await new WheelsClient(p.client).upload(path, {
      tags, replace: !p.flags["no-replace"], signal: ctx.io.signal,
      onProgress: showProgress ? progressBar(ctx.io.stderr, path.split("/").pop()!) : undefined,
    });
    printJson(ctx.io, info);
    return 0;
  },
};

// ── wheel-delete ────────────────────────────────────────────────────────────────────────────

const DELETE_FLAGS = { name: { type: "string", value: "WHEEL", description: "wheel file name to delete (required)" } } as const satisfies FlagTable;
const DELETE_HELP: CommandHelp = {
  program: "pyoco client wheel-delete",
  summary: "delete a wheel; workers uninstall it (or go back to the previous version) at their next sync",
  examples: ["pyoco client wheel-delete --name my_tasks-1.2.1-py3-none-any.whl"],
};

export const wheelDelete: ClientSubcommand = {
  summary: DELETE_HELP.summary,
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, DELETE_FLAGS, DELETE_HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    requireArgs(DELETE_HELP, DELETE_FLAGS, p.flags, ["name"]);
    printJson(ctx.io, await new WheelsClient(p.client).delete(p.flags.name!));
    return 0;
  },
};

// ── wheel-history ───────────────────────────────────────────────────────────────────────────

const HISTORY_FLAGS = {
  limit: { type: "string", value: "INT", default: "100", description: "maximum number of events (1..500)" },
  "wheel-name": { type: "string", value: "WHEEL", description: "only events of this wheel file" },
  action: { type: "string", value: "ACTION", choices: ["upload", "delete"], description: "only uploads or only deletes" },
  output: OUTPUT,
} as const satisfies FlagTable;
const HISTORY_HELP: CommandHelp = {
  program: "pyoco client wheel-history",
  summary: "who uploaded or deleted which wheel, when and from where (newest first)",
  examples: ["pyoco client wheel-history --limit 20 --output table", "pyoco client wheel-history --wheel-name my_tasks-1.2.1-py3-none-any.whl --action delete"],
};

export const wheelHistory: ClientSubcommand = {
  summary: HISTORY_HELP.summary,
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, HISTORY_FLAGS, HISTORY_HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    const limit = numberFlag(p.flags.limit, "limit", HISTORY_HELP, HISTORY_FLAGS, { integer: true });
    const events = await new WheelsClient(p.client).history({ limit, wheelName: p.flags["wheel-name"], action: p.flags.action });
    if (p.flags.output === "table") {
      ctx.io.stdout(renderTable(["occurred_at", "action", "wheel_name", "tags", "actor", "source"], events.map((e) => ({
        occurred_at: fmtTime(e.occurred_at), action: e.action, wheel_name: e.wheel_name, tags: e.tags?.length ? e.tags.join(",") : "-",
        actor: e.actor?.api_key_id ? `${e.actor.tenant_id ?? "-"}/${e.actor.api_key_id}` : "-",
        source: e.source?.x_forwarded_for ?? e.source?.remote_addr ?? "-",
      }))));
    } else printJson(ctx.io, events);
    return 0;
  },
};
