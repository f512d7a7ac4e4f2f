/**
 * Text from the byte chunks of several streams at once (keyed, e.g. by process id), never
 * splitting a character: a chunk that ends inside a multi-byte UTF-8 sequence keeps those bytes
 * for that stream's next chunk. State is kept only for streams that stopped mid-character, so
 * streams that come and go (one runner process per run in strict mode) leave nothing behind.
 * No I/O.
 */
const utf8 = new TextDecoder("utf-8", { fatal: false });

export class Utf8Streams<K> {
  #tails = new Map<K, Uint8Array>();

  decode(key: K, chunk: Uint8Array): string {
    const tail = this.#tails.get(key);
    const bytes = tail ? joined(tail, chunk) : chunk;
    const complete = completeLength(bytes);
    if (complete < bytes.length) this.#tails.set(key, bytes.slice(complete));
    else if (tail) this.#tails.delete(key);
    return utf8.decode(bytes.subarray(0, complete));
  }

  /** Streams holding an unfinished character (for tests). */
  get pending(): number { return this.#tails.size; }
}

/** Length of `b` without a trailing, unfinished UTF-8 sequence (invalid bytes count as complete). */
function completeLength(b: Uint8Array): number {
  for (let i = b.length - 1; i >= 0 && i >= b.length - 3; i--) {
    const x = b[i]!;
    if (x < 0x80) return b.length;                          // ASCII ends the look-back
    if (x >= 0xc0) {                                         // a lead byte: is its sequence all here?
      const need = x >= 0xf0 ? 4 : x >= 0xe0 ? 3 : 2;
      return b.length - i >= need ? b.length : i;
    }
  }
  return b.length;
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
