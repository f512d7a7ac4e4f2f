/**
 * Byte chunks → complete lines, split on the `\n` byte (architecture.md §4 rule 6). Pure.
 * Splitting bytes (not decoded text) keeps a multi-byte character that straddles two chunks intact.
 */

export type LineEvent =
  | { kind: "line"; bytes: Uint8Array }
  /** A line longer than maxLineBytes; its bytes were dropped up to the next `\n`. */
  | { kind: "too_long"; size: number }
  /** Bytes left without a terminating `\n` at end of stream. */
  | { kind: "partial_at_eof"; bytes: Uint8Array };

const NL = 0x0a;

export class LineSplitter {
  #parts: Uint8Array[] = [];
  #size = 0;
  /** Bytes of the current over-long line seen so far (-1 when not skipping). */
  #skipped = -1;

  /** @param maxLineBytes longest accepted line, without its `\n` (default 1 MiB, pyoco-runner.md §5.1). */
  constructor(readonly maxLineBytes = 1 << 20) {}

  push(chunk: Uint8Array): LineEvent[] {
    const events: LineEvent[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NL, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.#skipped >= 0) {
        this.#skipped += piece.length;
      } else if (this.#size + piece.length > this.maxLineBytes) {
        this.#skipped = this.#size + piece.length;
        this.#parts = [];
        this.#size = 0;
      } else if (piece.length > 0) {
        this.#parts.push(piece.slice()); // copy: the producer may reuse its buffer
        this.#size += piece.length;
      }
      if (nl === -1) break;
      if (this.#skipped >= 0) {
        events.push({ kind: "too_long", size: this.#skipped });
        this.#skipped = -1;
      } else {
        events.push({ kind: "line", bytes: this.#take() });
      }
      start = nl + 1;
    }
    return events;
  }

  /** End of stream: report what is left, if anything. */
  end(): LineEvent | null {
    if (this.#skipped >= 0) {
      const size = this.#skipped;
      this.#skipped = -1;
      return { kind: "too_long", size };
    }
    if (this.#size === 0) return null;
    return { kind: "partial_at_eof", bytes: this.#take() };
  }

  #take(): Uint8Array {
    const parts = this.#parts;
    this.#parts = [];
    const size = this.#size;
    this.#size = 0;
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(size);
    let off = 0;
    for (const p of parts) { out.set(p, off); off += p.length; }
    return out;
  }
}
