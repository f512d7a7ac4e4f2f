/** The docs name every setting and every error code the code knows (they are generated from the same tables). */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { SETTINGS } from "../../src/config/settings.ts";
import { ERROR_CODES } from "../../src/domain/errors.ts";

test("docs/configuration.md lists every PYOCO_* variable", () => {
  const doc = readFileSync("docs/configuration.md", "utf8");
  const missing = Object.values(SETTINGS).map((s) => s.env).filter((name) => !doc.includes(`\`${name}\``));
  expect(missing).toEqual([]);
});

test("docs/errors.md lists every error code", () => {
  const doc = readFileSync("docs/errors.md", "utf8");
  expect(Object.keys(ERROR_CODES).filter((c) => !doc.includes(`\`${c}\``))).toEqual([]);
});

test("docs/configuration.md marks exactly the variables no code reads as 'no effect yet'", () => {
  const { readdirSync, statSync } = require("node:fs") as typeof import("node:fs");
  const { join } = require("node:path") as typeof import("node:path");
  const sources: string[] = [];
  const walk = (dir: string) => { for (const n of readdirSync(dir)) { const f = join(dir, n); if (statSync(f).isDirectory()) walk(f); else if (f.endsWith(".ts") && !f.startsWith(join("src", "config"))) sources.push(readFileSync(f, "utf8")); } };
  walk("src");
  const code = sources.join("\n");
  const doc = readFileSync("docs/configuration.md", "utf8");
  const rows = (env: string) => doc.split("\n").find((l) => l.startsWith(`| \`${env}\``)) ?? "";
  const wrong = Object.entries(SETTINGS).flatMap(([key, s]) => {
    const used = new RegExp(`\\b${key}\\b`).test(code);
    const marked = rows(s.env).includes("no effect yet");
    return used === marked ? [`${s.env}: ${used ? "is used but marked 'no effect yet'" : "has no effect but is not marked"}`] : [];
  });
  expect(wrong).toEqual([]);
});

test("docs/cli.md covers every command and every client subcommand", async () => {
  const { commands } = await import("../../src/cli/index.ts");
  const { SUBCOMMANDS } = await import("../../src/cli/client/index.ts");
  const doc = readFileSync("docs/cli.md", "utf8");
  const missing = [
    ...Object.keys(commands).filter((c) => !doc.includes(`pyoco ${c}`)),
    ...Object.keys(SUBCOMMANDS).filter((s) => !new RegExp(`\`${s}[\` ]|pyoco client ${s}\\b`).test(doc)),
  ];
  expect(missing).toEqual([]);
});
