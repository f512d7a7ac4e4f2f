/**
 * `pyoco admin api-key create|list|revoke` (http-contract.md §4.4): manage API keys in the auth
 * bucket. Output is one JSON line on stdout; usage errors are argparse style (exit 2).
 */
import { effectiveEnv, loadSettings } from "../config/index.ts";
import { NatsUnavailableError } from "../domain/errors.ts";
import { apiKeyKvKey, generateApiKey, type ApiKeyRecord } from "../domain/api-key.ts";
import { PyocoJetStream } from "../jetstream/index.ts";
import { systemClock } from "../lib/clock.ts";
import { silentLogger } from "../lib/log.ts";
import { parseFlags, renderHelp, type CommandHelp } from "./args.ts";
import type { Command } from "./command.ts";
import { CliFailure, CliUsageError, headline } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { pyJson } from "./py-json.ts";

const GLOBAL = { "nats-url": { type: "string", value: "URL", description: "NATS server (overrides PYOCO_NATS_URL)" } } as const;
const API_KEY_HELP: CommandHelp = {
  program: "pyoco admin api-key", summary: "create, list and revoke API keys in the NATS auth bucket",
  positionals: "{create,list,revoke} ...",
  notes: ["subcommands:", "  create --tenant T   create a key for tenant T; the plaintext key is printed once",
    "  list                list keys as JSON (no secrets), newest first", "  revoke --key-id ID  revoke a key (exit 2 if unknown)",
    "", "Global flag (before `api-key`): --nats-url URL."],
  examples: ["pyoco admin api-key create --tenant team-a", "pyoco admin api-key list", "pyoco admin api-key revoke --key-id 0123456789abcdef01234567"],
};
const HELP: CommandHelp = {
  program: "pyoco admin", summary: "manage API keys (used when PYOCO_HTTP_AUTH_MODE=api_key)",
  positionals: "api-key {create,list,revoke} ...",
  notes: ["subcommands:", "  api-key create --tenant T   create a key; the plaintext is shown once",
    "  api-key list                 list keys (no secrets)", "  api-key revoke --key-id ID   revoke a key (exit 2 if unknown)"],
  examples: ["pyoco admin api-key create --tenant team-a", "pyoco admin --nats-url nats://10.0.0.5:4222 api-key list"],
};

async function withJetStream<T>(io: CliIo, natsUrl: string | undefined, fn: (js: PyocoJetStream) => Promise<T>): Promise<T> {
  const settings = loadSettings(effectiveEnv(io.env, io.cwd), natsUrl ? { natsUrl } : {});
  let js: PyocoJetStream;
  try {
    js = await PyocoJetStream.connect(settings, { name: "pyoco-admin-cli", log: silentLogger });
  } catch (err) {
    if (!(err instanceof NatsUnavailableError)) throw err;
    throw new CliFailure("ERR-PYOCO-0003", headline("ERR-PYOCO-0003"), `cannot connect to ${settings.natsUrl} (${err.reason})`,
      "start NATS (`pyoco nats up`, or `pyoco up --with-nats-bootstrap`), or pass --nats-url before `api-key`");
  }
  try {
    await js.ensureResources();
    return await fn(js);
  } finally { await js.close(); }
}

/** Index of the first argument that is not a global flag or its value, or -1. */
function firstPositional(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--nats-url") { i++; continue; }
    if (!argv[i]!.startsWith("-")) return i;
  }
  return -1;
}

const command: Command = {
  name: "admin", summary: HELP.summary, style: "argparse",
  async run(argv, io) {
    // Global flags come before the subcommand, as in the original.
    const split = firstPositional(argv);
    const head = split < 0 ? argv : argv.slice(0, split);
    const tail = split < 0 ? [] : argv.slice(split);
    const g = parseFlags(head, GLOBAL, HELP);
    if (g.help) { io.stdout(g.text); return 0; }
    const usage = "usage: pyoco admin [--nats-url URL] api-key {create,list,revoke} ...";
    if (tail[0] !== "api-key") {
      throw new CliUsageError(tail[0] ? `invalid choice: '${tail[0]}' (choose from 'api-key')` : "the following arguments are required: command", usage, "pyoco admin",
        "try `pyoco admin api-key list` (or `pyoco admin api-key create --tenant TEAM`)");
    }
    if (tail.length === 2 && (tail[1] === "--help" || tail[1] === "-h")) { io.stdout(renderHelp(API_KEY_HELP, {})); return 0; }
    const action = tail[1];
    const rest = tail.slice(2);
    const settings = loadSettings(effectiveEnv(io.env, io.cwd));
    const pepper = settings.authPepper?.trim() ? settings.authPepper : null;
    if (action === "create") {
      const help = { program: "pyoco admin api-key create", summary: "create an API key", examples: ["pyoco admin api-key create --tenant team-a"] };
      const p = parseFlags(rest, { tenant: { type: "string", value: "TENANT", description: "tenant id ([A-Za-z0-9_-]{1,64}), required" } } as const, help);
      if (p.help) { io.stdout(p.text); return 0; }
      if (!p.flags.tenant) throw new CliUsageError("the following arguments are required: --tenant", usage, "pyoco admin api-key create", "pass --tenant TENANT, e.g. `pyoco admin api-key create --tenant team-a`");
      let generated: ReturnType<typeof generateApiKey>;
      try { generated = generateApiKey(p.flags.tenant, pepper, systemClock.now()); } catch (err) {
        throw new CliUsageError((err as Error).message, usage, "pyoco admin api-key create", "use a tenant of 1-64 letters, digits, '_' or '-', e.g. --tenant team-a");
      }
      await withJetStream(io, g.flags["nats-url"], (js) => js.apiKeys.create(apiKeyKvKey(generated.record.key_id), generated.record));
      const r = generated.record;
      io.stdout(pyJson({ key_id: r.key_id, tenant_id: r.tenant_id, api_key: generated.apiKey, created_at: r.created_at }) + "\n");
      return 0;
    }
    if (action === "list") {
      const p = parseFlags(rest, {}, { program: "pyoco admin api-key list", summary: "list API keys", examples: ["pyoco admin api-key list"] });
      if (p.help) { io.stdout(p.text); return 0; }
      const all = await withJetStream(io, g.flags["nats-url"], (js) => js.apiKeys.all());
      const rows = [...all.values()].map((v) => v.value as ApiKeyRecord).filter((r) => r && typeof r.key_id === "string")
        .sort((a, b) => b.created_at - a.created_at)
        .map((r) => ({ key_id: r.key_id, tenant_id: r.tenant_id, created_at: r.created_at, revoked_at: r.revoked_at }));
      io.stdout(pyJson(rows) + "\n");
      return 0;
    }
    if (action === "revoke") {
      const help = { program: "pyoco admin api-key revoke", summary: "revoke an API key", examples: ["pyoco admin api-key revoke --key-id 0123456789abcdef01234567"] };
      const p = parseFlags(rest, { "key-id": { type: "string", value: "ID", description: "key id, required" } } as const, help);
      if (p.help) { io.stdout(p.text); return 0; }
      const keyId = p.flags["key-id"];
      if (!keyId) throw new CliUsageError("the following arguments are required: --key-id", usage, "pyoco admin api-key revoke", "pass --key-id ID (the key ids are listed by `pyoco admin api-key list`)");
      const now = systemClock.now();
      const stored = await withJetStream(io, g.flags["nats-url"], (js) =>
        js.apiKeys.mutate(apiKeyKvKey(keyId), (cur) => (cur ? { ...cur, revoked_at: now } : null)));
      if (!stored) { io.stdout(pyJson({ error: "not_found", key_id: keyId }) + "\n"); return 2; }
      io.stdout(pyJson({ key_id: keyId, revoked_at: now }) + "\n");
      return 0;
    }
    throw new CliUsageError(action ? `invalid choice: '${action}' (choose from 'create', 'list', 'revoke')` : "the following arguments are required: action", usage, "pyoco admin api-key",
      "pass one of: `pyoco admin api-key create --tenant TEAM`, `pyoco admin api-key list`, `pyoco admin api-key revoke --key-id ID`");
  },
};
export default command;
