/**
 * Just enough of the ZIP format to read a few small members of a big archive without loading it:
 * the central directory from the end of the file, then each wanted member by its offset
 * (stored or deflated). No ZIP64 (a wheel over 4 GiB is refused long before), no encryption.
 *
 *   const zip = await openZip("dist/pkg-1.0-py3-none-any.whl");   // throws ZipError
 *   const meta = zip.entries.find((e) => e.name.endsWith(".dist-info/METADATA"));
 *   const text = new TextDecoder().decode(await zip.read(meta!));
 */
import { inflateRawSync } from "node:zlib";

export class ZipError extends Error {
  constructor(message: string) { super(message); this.name = "ZipError"; }
}

export interface ZipEntry { name: string; method: number; compressedSize: number; size: number; localHeaderOffset: number }

export interface ZipReader {
  entries: ZipEntry[];
  /** A member's bytes; members over `maxBytes` (default 16 MiB) are refused. */
  read(entry: ZipEntry, maxBytes?: number): Promise<Uint8Array>;
}

const EOCD_SIG = 0x06054b50;
const CDIR_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
/** End-of-central-directory record (22 bytes) plus the longest archive comment. */
const TAIL_MAX = 22 + 0xffff;

export async function openZip(path: string): Promise<ZipReader> {
  const file = Bun.file(path);
  const size = file.size;
  const bytes = async (start: number, end: number) => new Uint8Array(await file.slice(start, end).arrayBuffer());
  const tailStart = Math.max(0, size - TAIL_MAX);
  const tail = await bytes(tailStart, size);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) if (tv.getUint32(i, true) === EOCD_SIG) { eocd = i; break; }
  if (eocd < 0) throw new ZipError("no end of central directory record");
  const count = tv.getUint16(eocd + 10, true);
  const cdSize = tv.getUint32(eocd + 12, true);
  const cdOffset = tv.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || cdSize === 0xffffffff || cdOffset + cdSize > size) throw new ZipError("unsupported or broken central directory");
  const cd = await bytes(cdOffset, cdOffset + cdSize);
  const cv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const names = new TextDecoder("utf-8", { fatal: false });
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let n = 0; n < count; n++) {
    if (at + 46 > cd.length || cv.getUint32(at, true) !== CDIR_SIG) throw new ZipError("broken central directory entry");
    const nameLen = cv.getUint16(at + 28, true);
    const extraLen = cv.getUint16(at + 30, true);
    const commentLen = cv.getUint16(at + 32, true);
    entries.push({
      name: names.decode(cd.subarray(at + 46, at + 46 + nameLen)),
      method: cv.getUint16(at + 10, true),
      compressedSize: cv.getUint32(at + 20, true),
      size: cv.getUint32(at + 24, true),
      localHeaderOffset: cv.getUint32(at + 42, true),
    });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return {
    entries,
    async read(entry, maxBytes = 16 * 1024 * 1024) {
      if (entry.size > maxBytes || entry.compressedSize > maxBytes) throw new ZipError(`${entry.name} is larger than ${maxBytes} bytes`);
      const header = await bytes(entry.localHeaderOffset, entry.localHeaderOffset + 30);
      const hv = new DataView(header.buffer, header.byteOffset, header.byteLength);
      if (header.length < 30 || hv.getUint32(0, true) !== LOCAL_SIG) throw new ZipError(`broken local header of ${entry.name}`);
      const dataStart = entry.localHeaderOffset + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
      const raw = await bytes(dataStart, dataStart + entry.compressedSize);
      if (entry.method === 0) return raw;
      if (entry.method !== 8) throw new ZipError(`${entry.name}: unsupported compression method ${entry.method}`);
      try {
        return new Uint8Array(inflateRawSync(raw, { maxOutputLength: maxBytes }));
      } catch (err) {
        throw new ZipError(`${entry.name}: ${(err as Error).message}`);
      }
    },
  };
}
