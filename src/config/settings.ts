/**
 * Every PYOCO_* setting in one table (http-contract.md §7.2, wire-contract.md §10.2) with the
 * original's defaults. Unlike the original, an invalid value stops start-up with a ConfigError
 * that names the variable and the expected form. CLI flags override through `overrides`.
 */
import { ConfigError } from "../domain/errors.ts";
import { DEFAULT_HTTP_MAX_BODY_BYTES } from "../domain/limits.ts";
import { invalidModulePrefix, splitModulePrefixes } from "../domain/module-allow-list.ts";
import type { Env } from "./env.ts";

interface SettingSpec<T> { env: string; default: T; parse(raw: string, name: string): T }

const str = (def: string): SettingSpec<string> => ({ env: "", default: def, parse: (raw) => raw.trim() });
const pattern = (def: string, re: RegExp, form: string): SettingSpec<string> => ({
  env: "", default: def,
  parse(raw, name) { const v = raw.trim(); if (!re.test(v)) throw new ConfigError(name, `expected ${form}, got ${JSON.stringify(raw)}`); return v; },
});
const float = (def: number, min?: number): SettingSpec<number> => ({
  env: "", default: def,
  parse(raw, name) {
    const v = Number(raw.trim());
    if (raw.trim() === "" || !Number.isFinite(v)) throw new ConfigError(name, `expected a number, got ${JSON.stringify(raw)}`);
    if (min !== undefined && v < min) throw new ConfigError(name, `must be >= ${min}, got ${v}`);
    return v;
  },
});
const int = (def: number, min?: number): SettingSpec<number> => ({
  env: "", default: def,
  parse(raw, name) {
    const v = Number(raw.trim());
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `expected an integer, got ${JSON.stringify(raw)}`);
    if (min !== undefined && v < min) throw new ConfigError(name, `must be >= ${min}, got ${v}`);
    return v;
  },
});
const bool = (def: boolean): SettingSpec<boolean> => ({
  env: "", default: def,
  parse(raw, name) {
    const v = raw.trim().toLowerCase();
    if (["1", "true", "yes", "on"].includes(v)) return true;
    if (["0", "false", "no", "off"].includes(v)) return false;
    throw new ConfigError(name, `expected one of 1/true/yes/on or 0/false/no/off, got ${JSON.stringify(raw)}`);
  },
});
function oneOf<const T extends string>(def: T, values: readonly T[], normalize = (s: string) => s.trim().toLowerCase()): SettingSpec<T> {
  return {
    env: "", default: def,
    parse(raw, name) {
      const v = normalize(raw) as T;
      if (!values.includes(v)) throw new ConfigError(name, `expected one of ${values.join("|")}, got ${JSON.stringify(raw)}`);
      return v;
    },
  };
}
const modulePrefixes = (): SettingSpec<string[]> => ({
  env: "", default: [],
  parse(raw, name) {
    const prefixes = splitModulePrefixes(raw);
    for (const p of prefixes) {
      const why = invalidModulePrefix(p);
      if (why) throw new ConfigError(name, `expected comma-separated module prefixes: ${why}`);
    }
    return prefixes;
  },
});
const optional = (): SettingSpec<string | null> => ({ env: "", default: null, parse: (raw) => (raw.trim() === "" ? null : raw) });

const BUCKET = /^[a-zA-Z0-9_-]+$/;
const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const TAG = /^[A-Za-z0-9_-]+$/;
/** One server URL, or a comma-separated seed list of them (a cluster): nats://a:4222,nats://b:4222. */
const ONE_NATS_URL = String.raw`(?:(?:nats|tls):\/\/[^\s,]+|[A-Za-z0-9.-]+:\d+)`;
const NATS_URL = new RegExp(`^\\s*${ONE_NATS_URL}(?:\\s*,\\s*${ONE_NATS_URL})*\\s*$`);

function table() {
  return {
    natsUrl: { ...pattern("nats://127.0.0.1:4222", NATS_URL, "nats://host:port or a comma-separated list of them"), env: "PYOCO_NATS_URL" },
    // Credentials and TLS of every pyoco NATS connection (gateway, worker, CLI). Never logged.
    natsUser: { ...optional(), env: "PYOCO_NATS_USER" },
    natsPassword: { ...optional(), env: "PYOCO_NATS_PASSWORD" },
    natsToken: { ...optional(), env: "PYOCO_NATS_TOKEN" },
    natsCreds: { ...optional(), env: "PYOCO_NATS_CREDS" },
    natsTlsCa: { ...optional(), env: "PYOCO_NATS_TLS_CA" },
    natsTlsCert: { ...optional(), env: "PYOCO_NATS_TLS_CERT" },
    natsTlsKey: { ...optional(), env: "PYOCO_NATS_TLS_KEY" },
    /** Route (node-to-node) credentials of `pyoco nats up` / `up --with-nats-bootstrap`; default: PYOCO_NATS_USER/PASSWORD. */
    natsClusterUser: { ...optional(), env: "PYOCO_NATS_CLUSTER_USER" },
    natsClusterPassword: { ...optional(), env: "PYOCO_NATS_CLUSTER_PASSWORD" },
    /** How long the gateway and the worker keep retrying the first NATS connection: -1 = forever, 0 = one try. */
    natsConnectWaitSec: { ...float(-1, -1), env: "PYOCO_NATS_CONNECT_WAIT_SEC" },
    /** Replicas of streams/buckets when pyoco creates them: auto = min(3, servers in the cluster), or 1..5. */
    jsReplicas: { ...pattern("auto", /^(auto|[1-5])$/, "auto or a number 1..5"), env: "PYOCO_JS_REPLICAS" },
    workSubjectPrefix: { ...pattern("pyoco.work", SUBJECT_PREFIX, "a subject prefix like pyoco.work"), env: "PYOCO_WORK_SUBJECT_PREFIX" },
    defaultTag: { ...pattern("default", TAG, "a tag matching [A-Za-z0-9_-]+"), env: "PYOCO_DEFAULT_TAG" },
    runsBucket: { ...pattern("pyoco_runs", BUCKET, "a bucket name matching [a-zA-Z0-9_-]+"), env: "PYOCO_RUNS_KV_BUCKET" },
    workersBucket: { ...pattern("pyoco_workers", BUCKET, "a bucket name matching [a-zA-Z0-9_-]+"), env: "PYOCO_WORKERS_KV_BUCKET" },
    // decisions.md §3.11: our default TTL is far longer than the disconnect timeout, so DISCONNECTED is visible.
    workersTtlSec: { ...float(86400, 0), env: "PYOCO_WORKERS_KV_TTL_SEC" },
    schedulesBucket: { ...pattern("pyoco_yaml_schedules", BUCKET, "a bucket name"), env: "PYOCO_YAML_SCHEDULES_KV_BUCKET" },
    bundlesBucket: { ...pattern("pyoco_workflow_bundles", BUCKET, "a bucket name"), env: "PYOCO_WORKFLOW_BUNDLES_KV_BUCKET" },
    relationsBucket: { ...pattern("pyoco_run_relations", BUCKET, "a bucket name"), env: "PYOCO_RUN_RELATIONS_KV_BUCKET" },
    authMode: { ...oneOf("none", ["none", "api_key"] as const), env: "PYOCO_HTTP_AUTH_MODE" },
    apiKeyHeader: { ...str("X-API-Key"), env: "PYOCO_HTTP_API_KEY_HEADER" },
    authBucket: { ...pattern("pyoco_auth", BUCKET, "a bucket name"), env: "PYOCO_AUTH_KV_BUCKET" },
    authPepper: { ...optional(), env: "PYOCO_AUTH_PEPPER" },
    metricsPublic: { ...bool(false), env: "PYOCO_METRICS_PUBLIC" },
    // issue 10: larger request bodies answer 413 before they are buffered (wheel uploads: PYOCO_WHEEL_MAX_BYTES).
    httpMaxBodyBytes: { ...int(DEFAULT_HTTP_MAX_BODY_BYTES, 1024), env: "PYOCO_HTTP_MAX_BODY_BYTES" },
    runHeartbeatIntervalSec: { ...float(1.0, 0.1), env: "PYOCO_RUN_HEARTBEAT_INTERVAL_SEC" },
    workerHeartbeatIntervalSec: { ...float(5.0, 0.1), env: "PYOCO_WORKER_HEARTBEAT_INTERVAL_SEC" },
    workerDisconnectTimeoutSec: { ...float(20.0), env: "PYOCO_WORKER_DISCONNECT_TIMEOUT_SEC" },
    cancelGracePeriodSec: { ...float(30.0), env: "PYOCO_CANCEL_GRACE_PERIOD_SEC" },
    ackProgressIntervalSec: { ...float(10.0), env: "PYOCO_ACK_PROGRESS_INTERVAL_SEC" },
    // Not the original's 30 s: a killed worker's run is taken over within 15 s (issue 10 item 12);
    // our in-progress acks come every AckWait/3, the original's every 10 s, so both fleets keep long runs.
    consumerAckWaitSec: { ...float(15.0, 0.1), env: "PYOCO_CONSUMER_ACK_WAIT_SEC" },
    consumerMaxDeliver: { ...int(20, 1), env: "PYOCO_CONSUMER_MAX_DELIVER" },
    consumerMaxAckPending: { ...int(200, 1), env: "PYOCO_CONSUMER_MAX_ACK_PENDING" },
    dlqStream: { ...pattern("PYOCO_DLQ", BUCKET, "a stream name"), env: "PYOCO_DLQ_STREAM" },
    dlqSubjectPrefix: { ...pattern("pyoco.dlq", SUBJECT_PREFIX, "a subject prefix like pyoco.dlq"), env: "PYOCO_DLQ_SUBJECT_PREFIX" },
    dlqMaxAgeSec: { ...float(604800, 0), env: "PYOCO_DLQ_MAX_AGE_SEC" },
    dlqMaxMsgs: { ...int(100000, -1), env: "PYOCO_DLQ_MAX_MSGS" },
    dlqMaxBytes: { ...int(536870912, -1), env: "PYOCO_DLQ_MAX_BYTES" },
    dlqPublishExecutionError: { ...bool(true), env: "PYOCO_DLQ_PUBLISH_EXECUTION_ERROR" },
    // Task logs (ours, docs/logs.md): stream limits, then the worker's per-run limits.
    logsEnabled: { ...bool(true), env: "PYOCO_LOGS_ENABLED" },
    logsStream: { ...pattern("PYOCO_LOGS", BUCKET, "a stream name"), env: "PYOCO_LOGS_STREAM" },
    logsSubjectPrefix: { ...pattern("pyoco.logs", SUBJECT_PREFIX, "a subject prefix like pyoco.logs"), env: "PYOCO_LOGS_SUBJECT_PREFIX" },
    logsMaxAgeSec: { ...float(604800, 0), env: "PYOCO_LOGS_MAX_AGE_SEC" },
    logsMaxBytes: { ...int(1073741824, -1), env: "PYOCO_LOGS_MAX_BYTES" },
    logsMaxLinesPerRun: { ...int(10000, 1), env: "PYOCO_LOGS_MAX_LINES_PER_RUN" },
    logsMaxBytesPerRun: { ...int(4194304, 1024), env: "PYOCO_LOGS_MAX_BYTES_PER_RUN" },
    logsRatePerSec: { ...float(1000, 1), env: "PYOCO_LOGS_RATE_PER_SEC" },
    logsLineMaxBytes: { ...int(16384, 256), env: "PYOCO_LOGS_LINE_MAX_BYTES" },
    logsLevel: { ...oneOf("INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const, (s) => {
      const v = s.trim().toUpperCase(); return v === "WARN" ? "WARNING" : v;
    }), env: "PYOCO_LOGS_LEVEL" },
    maxRunSnapshotBytes: { ...int(262144), env: "PYOCO_MAX_RUN_SNAPSHOT_BYTES" },
    wheelBucket: { ...pattern("pyoco_wheels", BUCKET, "a bucket name"), env: "PYOCO_WHEEL_OBJECT_STORE_BUCKET" },
    wheelMaxBytes: { ...int(536870912), env: "PYOCO_WHEEL_MAX_BYTES" },
    wheelHistoryBucket: { ...pattern("pyoco_wheel_history", BUCKET, "a bucket name"), env: "PYOCO_WHEEL_HISTORY_KV_BUCKET" },
    wheelHistoryTtlSec: { ...float(7776000, 0), env: "PYOCO_WHEEL_HISTORY_TTL_SEC" },
    wheelSyncEnabled: { ...bool(false), env: "PYOCO_WHEEL_SYNC_ENABLED" },
    wheelSyncDir: { ...str(".pyoco/wheels"), env: "PYOCO_WHEEL_SYNC_DIR" },
    wheelSyncIntervalSec: { ...float(10.0, 0.1), env: "PYOCO_WHEEL_SYNC_INTERVAL_SEC" },
    wheelInstallTimeoutSec: { ...float(180.0, 1.0), env: "PYOCO_WHEEL_INSTALL_TIMEOUT_SEC" },
    workflowYamlMaxBytes: { ...int(262144), env: "PYOCO_WORKFLOW_YAML_MAX_BYTES" },
    schedulePollIntervalSec: { ...float(1.0, 0.2), env: "PYOCO_SCHEDULE_POLL_INTERVAL_SEC" },
    scheduleMisfireGraceSec: { ...float(10.0, 0), env: "PYOCO_SCHEDULE_MISFIRE_GRACE_SEC" },
    workflowBundleMaxBytes: { ...int(262144), env: "PYOCO_WORKFLOW_BUNDLE_MAX_BYTES" },
    spawnRequiresApproval: { ...bool(true), env: "PYOCO_SPAWN_REQUIRES_APPROVAL" },
    spawnMaxChildRuns: { ...int(100), env: "PYOCO_SPAWN_MAX_CHILD_RUNS" },
    spawnMaxParallelChildRuns: { ...int(8), env: "PYOCO_SPAWN_MAX_PARALLEL_CHILD_RUNS" },
    spawnChildTag: { ...str(""), env: "PYOCO_SPAWN_CHILD_TAG" },
    spawnTimeoutSec: { ...float(3600.0), env: "PYOCO_SPAWN_TIMEOUT_SEC" },
    spawnPollIntervalSec: { ...float(0.2, 0.05), env: "PYOCO_SPAWN_POLL_INTERVAL_SEC" },
    workerAllowedModules: { ...modulePrefixes(), env: "PYOCO_WORKER_ALLOWED_MODULES" },
    dashboardLang: { ...oneOf("auto", ["auto", "ja", "en"] as const, (s) => {
      const v = s.trim().toLowerCase();
      return v.startsWith("ja") ? "ja" : v.startsWith("en") ? "en" : "auto";
    }), env: "PYOCO_DASHBOARD_LANG" },
    python: { ...optional(), env: "PYOCO_PYTHON" },
    logLevel: { ...oneOf("INFO", ["DEBUG", "INFO", "WARNING", "ERROR"] as const, (s) => {
      const v = s.trim().toUpperCase(); return v === "WARN" ? "WARNING" : v;
    }), env: "PYOCO_LOG_LEVEL" },
    logFormat: { ...oneOf("json", ["json", "text"] as const), env: "PYOCO_LOG_FORMAT" },
    logUtc: { ...bool(true), env: "PYOCO_LOG_UTC" },
    logIncludeTraceback: { ...bool(true), env: "PYOCO_LOG_INCLUDE_TRACEBACK" },
  } as const;
}

export const SETTINGS = table();
type Table = typeof SETTINGS;
export type Settings = { readonly [K in keyof Table]: Table[K]["default"] extends infer D ? ReturnType<Table[K]["parse"]> : never };
export type SettingOverrides = Partial<{ -readonly [K in keyof Settings]: Settings[K] }>;

/** Compile settings from the effective env (see env.ts) and CLI overrides; frozen. Throws ConfigError. */
export function loadSettings(env: Env, overrides: SettingOverrides = {}): Settings {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SETTINGS) as [string, SettingSpec<unknown>][]) {
    const raw = env[spec.env];
    out[key] = raw === undefined || raw === "" ? spec.default : spec.parse(raw, spec.env);
  }
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) out[key] = value;
  return Object.freeze(out) as Settings;
}

/** Names of every environment variable read, for docs and `--help`. */
export function settingVariables(): { name: string; default: unknown }[] {
  return Object.values(SETTINGS).map((s) => ({ name: s.env, default: s.default }));
}
