import { describe, expect, test } from "bun:test";
import { RUNNER_LINE_MARK as M, RunnerStderr, stripLineMarks } from "../../../src/runner/stderr-lines.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function attached(pid = 7): { stderr: RunnerStderr; lines: string[]; detach: () => void } {
  const stderr = new RunnerStderr();
  const lines: string[] = [];
  const detach = stderr.attach(pid, (l) => lines.push(l));
  return { stderr, lines, detach };
}

describe("RunnerStderr", () => {
  test("unmarked lines (child processes) are handed on; marked ones (Python's, already captured) are not", () => {
    const { stderr, lines } = attached();
    stderr.write(7, enc(`child one\n${M}print from python\nchild two\r\n${M}another\n`));
    expect(lines).toEqual(["child one", "child two"]);
  });

  test("lines and UTF-8 characters split across chunks are put back together", () => {
    const { stderr, lines } = attached();
    const bytes = enc(`ünïcode line\n${M}py`);
    stderr.write(7, bytes.subarray(0, 2));
    stderr.write(7, bytes.subarray(2, 9));
    stderr.write(7, bytes.subarray(9));
    stderr.write(7, enc("thon line\nlast"));
    expect(lines).toEqual(["ünïcode line"]);
  });

  test("a mark ends a child's unterminated line; detach hands on the last partial line", () => {
    const { stderr, lines, detach } = attached();
    stderr.write(7, enc(`no newline${M}python line\ntrailing`));
    expect(lines).toEqual(["no newline"]);
    detach();
    expect(lines).toEqual(["no newline", "trailing"]);
    stderr.write(7, enc("after detach\n"));
    expect(lines).toEqual(["no newline", "trailing"]);
  });

  test("output of another runner or of no run is ignored", () => {
    const { stderr, lines } = attached(7);
    stderr.write(8, enc("other runner\n"));
    new RunnerStderr().write(7, enc("nobody attached\n"));
    expect(lines).toEqual([]);
  });

  test("a very long line is handed on in pieces, and a long marked line is skipped whole", () => {
    const { stderr, lines } = attached();
    stderr.write(7, enc("x".repeat(150_000)));
    stderr.write(7, enc(`${M}${"y".repeat(150_000)}\nend\n`));
    expect(lines.map((l) => l.length)).toEqual([65_536, 65_536, 18_928, 3]);
    expect(lines.at(-1)).toBe("end");
  });

  test("stripLineMarks removes every mark for people reading the raw stderr", () => {
    expect(stripLineMarks(`${M}a\n${M}b\nc`)).toBe("a\nb\nc");
    expect(stripLineMarks("plain")).toBe("plain");
  });
});
