/**
 * Wire JSON exactly as the Python original writes it (wire-contract.md §0): compact separators,
 * every non-ASCII character escaped as \uXXXX, keys in insertion order, UTF-8 bytes.
 */

const NON_ASCII = /[\u007f-\uffff]/g;

export function encodeWireJson(value: unknown): string {
  return JSON.stringify(value).replace(NON_ASCII, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function wireBytes(value: unknown): Uint8Array {
  return encoder.encode(encodeWireJson(value));
}

/** Parse wire bytes; throws on invalid UTF-8 or JSON (callers decide what that means). */
export function parseWireBytes(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes));
}

/** Byte length of the wire encoding (ASCII-only, so string length = byte length). */
export function wireSize(value: unknown): number {
  return encodeWireJson(value).length;
}
