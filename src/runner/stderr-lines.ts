/**
 * A runner's stderr carries two kinds of output (runner.py, module docstring): lines written
 * through Python's `sys.stdout`/`sys.stderr` start with RUNNER_LINE_MARK (Pyoco captured and tees
 * them, and the runner's own diagnostics); unmarked lines come from a task's child processes
 * (`os.system`, `subprocess` without capture), which Pyoco cannot see. `RunnerStderr` hands the
 * unmarked lines of a runner to the run attached to it, as they arrive.
 *
 *   const stderr = new RunnerStderr();
 *   pool = new RunnerPool({ ..., onStderr: (pid, chunk) => stderr.write(pid, chunk) });
 *   const detach = stderr.attach(handle.pid, (line) => logs.accept(...));
 *   await handle.outcome; detach();
 */

/** ASCII record separator: never the first character of ordinary output. */
export const RUNNER_LINE_MARK = "\x1e";
const MARKS = /\x1e/g;

/** Runner stderr as people should read it (worker console, crash reports): without the marks. */
export function stripLineMarks(text: string): string {
  return text.includes(RUNNER_LINE_MARK) ? text.replace(MARKS, "") : text;
}

/** A line longer than this is handed on in pieces. */
const MAX_PENDING_CHARS = 64 * 1024;

interface Sink {
  line: (text: string) => void;
  decoder: TextDecoder;
  /** The current line so far. */
  pending: string;
  /** The current line was long enough to be handed on in pieces; its first piece was marked. */
  pendingMarked: boolean;
}

export class RunnerStderr {
  #sinks = new Map<number, Sink>();

  /** Hand the unmarked lines of runner `pid` to `line` until the returned detach, which hands on a last partial line. */
  attach(pid: number, line: (text: string) => void): () => void {
    const sink: Sink = { line, decoder: new TextDecoder("utf-8", { fatal: false }), pending: "", pendingMarked: false };
    this.#sinks.set(pid, sink);
    return () => {
      if (this.#sinks.get(pid) !== sink) return;
      this.#sinks.delete(pid);
      this.#emit(sink, sink.pending + sink.decoder.decode());
    };
  }

  /** A chunk of runner `pid`'s stderr; ignored while no run is attached (start-up, between runs). */
  write(pid: number, chunk: Uint8Array): void {
    const sink = this.#sinks.get(pid);
    if (!sink) return;
    // A mark always starts a line: Python's write may follow a child's unterminated output.
    const text = sink.decoder.decode(chunk, { stream: true }).replaceAll(RUNNER_LINE_MARK, "\n" + RUNNER_LINE_MARK);
    const lines = (sink.pending + text).split("\n");
    sink.pending = lines.pop()!;
    for (const l of lines) this.#emit(sink, l);
    while (sink.pending.length > MAX_PENDING_CHARS) {
      const piece = sink.pending.slice(0, MAX_PENDING_CHARS);
      sink.pending = sink.pending.slice(MAX_PENDING_CHARS);
      this.#emit(sink, piece, true);
    }
  }

  /** One line (or, `partial`, a piece of a long one). Marked lines are Python's: not handed on. */
  #emit(sink: Sink, text: string, partial = false): void {
    const continued = sink.pendingMarked;
    sink.pendingMarked = partial && (continued || text.startsWith(RUNNER_LINE_MARK));
    if (continued || text === "" || text.startsWith(RUNNER_LINE_MARK)) return;
    sink.line(stripLineMarks(text.replace(/\r$/, "")));
  }
}
