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
