/**
 * YAML read the way PyYAML's safe_load reads it (pyoco-runner.md §2.11): YAML 1.1 rules
 * (010 → 8, yes/on → true) but only PyYAML's boolean words — the `yaml` package's 1.1 schema
 * also reads y/Y/n/N as booleans, which would turn a key `y:` into `true`. Throws on invalid YAML.
 */
import { parse, parseDocument, type Document } from "yaml";

const TRUE_WORDS = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE_WORDS = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
type YamlTag = { tag: string; test?: RegExp };

function pyYamlTags<T extends YamlTag>(tags: T[]): T[] {
  return tags.map((t) => (t.tag === "tag:yaml.org,2002:bool" && t.test
    ? { ...t, test: String(t.test).includes("rue") ? TRUE_WORDS : FALSE_WORDS } : t));
}

const OPTIONS = { version: "1.1", uniqueKeys: false, customTags: pyYamlTags as never } as const;

export function parsePyYaml(text: string): unknown {
  return parse(text, OPTIONS);
}

/** The same parse as a Document (node positions for error messages); check `doc.errors` before `doc.toJS()`. */
export function parsePyYamlDocument(text: string): Document.Parsed {
  return parseDocument(text, OPTIONS);
}
