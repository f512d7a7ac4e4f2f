/**
 * Every `pyoco …` command written in README.md and docs/ is accepted by the binary's parser
 * (issue 13): docs cannot drift from the CLI. Each command runs in-process in dry-run mode — all
 * flags, choices, numbers and required arguments are checked, and the command stops at its first
 * side effect (HTTP request, NATS connection, nats-server start, Python, file system) instead of
 * acting. A usage error (exit 2, or the "invalid command-line arguments" block) fails the test.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { runAs } from "../../src/cli/index.ts";
import { DROP_IN_NAMES } from "../../src/cli/drop-in.ts";
import { setDryRun } from "../../src/lib/dry-run.ts";
import { captureIo } from "../helpers/cli.ts";

const ROOT = join(import.meta.dir, "..", "..");
const PROGRAMS = ["pyoco", ...Object.keys(DROP_IN_NAMES)];

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? markdownFiles(full) : name.endsWith(".md") ? [full] : [];
  });
}

/** Shell-like words: quotes group, a `#` word starts a comment. */
function words(line: string): string[] | null {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) {
    if (m[3]?.startsWith("#")) break;
    if (m[3] !== undefined && /^[|&;<>]+$/.test(m[3])) break;   // a pipe or redirect ends the pyoco command
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2] ?? m[3]!);
  }
  return out;
}

interface DocCommand { where: string; text: string; argv: string[]; program: string }

/** `pyoco …` lines of code blocks and `pyoco …` inline code spans; placeholders become sample values. */
function documentedCommands(): DocCommand[] {
  const found: DocCommand[] = [];
  for (const file of [join(ROOT, "README.md"), ...markdownFiles(join(ROOT, "docs"))]) {
    const where = relative(ROOT, file);
    // Shell line continuations join; a diagram block (box-drawing characters) is not a command list.
    const lines = readFileSync(file, "utf8").replace(/\\\n\s*/g, " ").split("\n");
    let inBlock = false;
    let diagram = false;
    const candidates: { text: string; line: number; inline: boolean }[] = [];
    lines.forEach((line, i) => {
      if (/^\s*```/.test(line)) {
        inBlock = !inBlock;
        if (inBlock) diagram = lines.slice(i + 1, lines.findIndex((l, j) => j > i && /^\s*```/.test(l))).some((l) => /[├└┌─►]/.test(l));
        return;
      }
      if (inBlock && diagram) return;
      if (inBlock) {
        const cmd = line.replace(/^\s*\$\s+/, "").replace(/^\s*(?:[A-Z_][A-Z0-9_]*=\S+\s+)*/, "");
        if (new RegExp(`^(?:\\S*/)?(${PROGRAMS.join("|")})(\\s|$)`).test(cmd)) candidates.push({ text: cmd.trim(), line: i + 1, inline: false });
        return;
      }
      for (const m of line.matchAll(/`((?:[^`\s]*\/)?(?:pyoco|pyoco-server|pyoco-worker|pyoco-client|pyoco-server-admin) [^`]*)`/g)) {
        candidates.push({ text: m[1]!, line: i + 1, inline: true });
      }
    });
    for (const c of candidates) {
      // Syntax summaries (`[--x]`, `{a,b}`, `a|b`, `…`) describe rather than run; they are checked by name only.
      const unquoted = c.text.replace(/'[^']*'|"[^"]*"/g, "");
      const summary = /[\[\]{}…]|\.\.\.|\s\|\s|\w\\?\|\w/.test(unquoted) || (c.inline && /<[^>]+>/.test(unquoted));
      const ws = words(c.text.replace(/<[^>\s]+>/g, "SAMPLE"));
      if (!ws || ws.length === 0) continue;
      const program = ws[0]!.split("/").pop()!;
      let argv = ws.slice(1);
      if (summary) argv = argv.filter((w) => /^[a-z][a-z-]*$/.test(w)).slice(0, 2).concat("--help");
      else if (c.inline && !argv.some((w) => w.startsWith("-")) && argv.length <= 2) argv = [...argv, "--help"];
      found.push({ where: `${where}:${c.line}`, text: c.text, argv, program });
    }
  }
  return found;
}

const dir = mkdtempSync(join(tmpdir(), "pyoco-doc-cmds-"));
afterAll(() => { setDryRun(false); rmSync(dir, { recursive: true, force: true }); });

/** Files the examples name, so reading them is not what fails. */
function writeSampleFiles(argv: string[]): void {
  argv.forEach((w, i) => {
    const next = argv[i + 1];
    if (!next) return;
    if (w === "--params-file") writeFileSync(join(dir, next), next.endsWith(".json") ? '{"x": 1}' : "x: 1\n");
    if (w === "--workflow-file") writeFileSync(join(dir, next), "flow:\n  graph: a\ntasks:\n  a: {callable: 'm:a'}\n");
  });
}

test("README.md and docs/ name pyoco commands at all (the extraction works)", () => {
  const cmds = documentedCommands();
  expect(cmds.length).toBeGreaterThan(40);
  for (const expected of ["up", "worker", "client", "admin", "nats", "install-links"]) expect(cmds.some((c) => c.argv[0] === expected)).toBe(true);
});

test("every documented pyoco command is accepted by the CLI parser", async () => {
  setDryRun(true);
  const rejected: string[] = [];
  for (const c of documentedCommands()) {
    writeSampleFiles(c.argv);
    const io = captureIo({ PYOCO_NATS_URL: "nats://127.0.0.1:1", PYOCO_SERVER_URL: "http://127.0.0.1:1" });
    io.cwd = dir;
    const code = await runAs(c.program, c.argv, io);
    const usage = code === 2 || io.err.includes("invalid command-line arguments") || /unknown command|invalid choice|unrecognized arguments|arguments are required/.test(io.err);
    if (usage) rejected.push(`${c.where}: ${c.text}\n    → ${io.err.split("\n").filter((l) => /error|reason/.test(l)).join(" | ")}`);
  }
  expect(rejected).toEqual([]);
});
