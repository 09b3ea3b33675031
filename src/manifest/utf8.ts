export type Utf8Result =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly offset: number; readonly byte: number; readonly line: number; readonly column: number };

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes bytes as UTF-8, refusing (rather than replacing with U+FFFD) any
 * byte that is not valid, and saying where the first one is: its offset and
 * the 1-based line and column an editor shows (a leading BOM is dropped).
 */
export function decodeUtf8(bytes: Uint8Array): Utf8Result {
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    const offset = firstInvalidByte(bytes);
    const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    const column = [...new TextDecoder('utf-8').decode(bytes.subarray(lineStart, offset))].length + 1;
    return { ok: false, offset, byte: bytes[offset]!, line, column };
  }
}

/** Index of the first byte that does not belong to a valid UTF-8 sequence (RFC 3629). */
function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let length: number;
    let min: number;
    if (b < 0x80) { i++; continue; }
    else if (b >= 0xc2 && b <= 0xdf) { length = 2; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { length = 3; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { length = 4; min = 0x10000; }
    else return i;
    let code = b & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += length;
  }
  return bytes.length;
}
