/** Configuration: defaults, precedence (flags > env > .env > default), .env syntax, invalid values stop start-up. */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { effectiveEnv, loadSettings, parseDotenv, resolveDashboardLang } from "../../../src/config/index.ts";
import { ConfigError } from "../../../src/domain/errors.ts";

describe("defaults", () => {
  test("match the original's documented defaults", () => {
    const s = loadSettings({});
    expect(s).toMatchObject({
      natsUrl: "nats://127.0.0.1:4222", workSubjectPrefix: "pyoco.work", defaultTag: "default", runsBucket: "pyoco_runs",
      workersBucket: "pyoco_workers", runHeartbeatIntervalSec: 1, workerHeartbeatIntervalSec: 5, workerDisconnectTimeoutSec: 20,
      cancelGracePeriodSec: 30, ackProgressIntervalSec: 10, consumerAckWaitSec: 15, consumerMaxDeliver: 20,
      consumerMaxAckPending: 200, dlqStream: "PYOCO_DLQ", dlqPublishExecutionError: true, maxRunSnapshotBytes: 262144,
      workflowYamlMaxBytes: 262144, authMode: "none", apiKeyHeader: "X-API-Key", dashboardLang: "auto", logFormat: "json",
      logLevel: "INFO", wheelSyncEnabled: false,
    });
  });
  test("the settings object is frozen", () => {
    expect(Object.isFrozen(loadSettings({}))).toBe(true);
  });
});

describe("precedence", () => {
  test("env values are parsed and CLI overrides win over env", () => {
    const s = loadSettings({ PYOCO_CONSUMER_MAX_DELIVER: "7", PYOCO_NATS_URL: "nats://10.0.0.1:4333" }, { natsUrl: "nats://127.0.0.1:5000" });
    expect(s.consumerMaxDeliver).toBe(7);
    expect(s.natsUrl).toBe("nats://127.0.0.1:5000");
  });
  test("an empty env value counts as unset", () => {
    expect(loadSettings({ PYOCO_CONSUMER_MAX_DELIVER: "" }).consumerMaxDeliver).toBe(20);
  });
});

describe("PYOCO_WORKER_ALLOWED_MODULES", () => {
  test("is empty by default and parses comma/space separated module prefixes without repeats", () => {
    expect(loadSettings({}).workerAllowedModules).toEqual([]);
    expect(loadSettings({ PYOCO_WORKER_ALLOWED_MODULES: " my_tasks, company.flows my_tasks" }).workerAllowedModules).toEqual(["my_tasks", "company.flows"]);
  });
  test("a prefix that is not a dotted module name stops start-up", () => {
    expect(() => loadSettings({ PYOCO_WORKER_ALLOWED_MODULES: "ok,os;rm" })).toThrow(/PYOCO_WORKER_ALLOWED_MODULES: expected comma-separated module prefixes: 'os;rm'/);
    expect(() => loadSettings({ PYOCO_WORKER_ALLOWED_MODULES: "pkg..sub" })).toThrow(ConfigError);
  });
});

describe("invalid values stop start-up with the variable named", () => {
  const cases: [string, string, RegExp][] = [
    ["PYOCO_CONSUMER_MAX_DELIVER", "abc", /PYOCO_CONSUMER_MAX_DELIVER: expected an integer, got "abc"/],
    ["PYOCO_CONSUMER_MAX_DELIVER", "0", /must be >= 1/],
    ["PYOCO_RUN_HEARTBEAT_INTERVAL_SEC", "0.01", /PYOCO_RUN_HEARTBEAT_INTERVAL_SEC: must be >= 0.1/],
    ["PYOCO_DLQ_PUBLISH_EXECUTION_ERROR", "maybe", /expected one of 1\/true\/yes\/on or 0\/false\/no\/off/],
    ["PYOCO_HTTP_AUTH_MODE", "oauth", /expected one of none\|api_key/],
    ["PYOCO_RUNS_KV_BUCKET", "bad.bucket", /expected a bucket name/],
    ["PYOCO_NATS_URL", "http://x", /expected nats:\/\/host:port/],
    ["PYOCO_LOG_FORMAT", "xml", /expected one of json\|text/],
  ];
  for (const [name, value, message] of cases) {
    test(`${name}=${value}`, () => {
      let err: unknown;
      try { loadSettings({ [name]: value }); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(message);
      expect((err as ConfigError).variable).toBe(name);
    });
  }
});

describe(".env", () => {
  test("syntax: comments, export prefix, quotes, escapes, inline comments, invalid keys", () => {
    expect(parseDotenv([
      "# comment", "", "export A=1", "B = two words ", "C='single # kept'", 'D="line\\nbreak"', "E=value # comment",
      "1BAD=x", "F=", "G=a=b",
    ].join("\n"))).toEqual({ A: "1", B: "two words", C: "single # kept", D: "line\nbreak", E: "value", F: "", G: "a=b" });
  });

  const dir = mkdtempSync(join(tmpdir(), "pyoco-env-"));
  writeFileSync(join(dir, ".env"), "PYOCO_CONSUMER_MAX_DELIVER=9\nPYOCO_DEFAULT_TAG=fromfile\nPYOCO_LOG_LEVEL=DEBUG\n");
  writeFileSync(join(dir, "custom.env"), "PYOCO_DEFAULT_TAG=custom\n");

  test("is read from the working directory; the real environment wins", () => {
    const s = loadSettings(effectiveEnv({ PYOCO_DEFAULT_TAG: "fromenv" }, dir));
    expect(s.consumerMaxDeliver).toBe(9);
    expect(s.defaultTag).toBe("fromenv");
  });
  test("PYOCO_LOG_* are never taken from .env", () => {
    expect(loadSettings(effectiveEnv({}, dir)).logLevel).toBe("INFO");
  });
  test("PYOCO_LOAD_DOTENV=0 switches it off", () => {
    expect(loadSettings(effectiveEnv({ PYOCO_LOAD_DOTENV: "off" }, dir)).consumerMaxDeliver).toBe(20);
  });
  test("PYOCO_ENV_FILE names another file", () => {
    expect(loadSettings(effectiveEnv({ PYOCO_ENV_FILE: "custom.env" }, dir)).defaultTag).toBe("custom");
  });
  test("a missing file is ignored", () => {
    expect(loadSettings(effectiveEnv({ PYOCO_ENV_FILE: "nope.env" }, dir)).defaultTag).toBe("default");
  });
});

describe("dashboard language", () => {
  test("explicit setting wins", () => expect(resolveDashboardLang("ja", { LANG: "en_US.UTF-8" })).toBe("ja"));
  test("auto: first locale variable that is ja or en; C is skipped", () => {
    expect(resolveDashboardLang("auto", { LC_ALL: "C", LANG: "ja_JP.UTF-8" })).toBe("ja");
    expect(resolveDashboardLang("auto", { LANGUAGE: "ja:en" })).toBe("ja");
  });
  test("fallback is English", () => expect(resolveDashboardLang("auto", { LANG: "de_DE" })).toBe("en"));
  test("PYOCO_DASHBOARD_LANG is normalised (ja_JP → ja, server → auto)", () => {
    expect(loadSettings({ PYOCO_DASHBOARD_LANG: "ja_JP" }).dashboardLang).toBe("ja");
    expect(loadSettings({ PYOCO_DASHBOARD_LANG: "server" }).dashboardLang).toBe("auto");
  });
});
