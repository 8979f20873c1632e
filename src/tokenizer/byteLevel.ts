/**
 * GPT-2's byte-level alphabet: every byte 0..255 is shown as one printable code point, so BPE can work on
 * text without ever seeing a raw control byte or a space. Printable Latin-1 bytes (33..126, 161..172,
 * 174..255) stand for themselves; the other 68 bytes take code points 256, 257, ... in byte order
 * (so space 0x20 is "Ġ" U+0120 and newline 0x0A is "Ċ" U+010A).
 */
function buildByteToChar(): string[] {
  const chars: string[] = new Array(256);
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
    chars[byte] = String.fromCharCode(printable ? byte : next++);
  }
  return chars;
}

const BYTE_TO_CHAR = buildByteToChar();
const CHAR_TO_BYTE = new Map<number, number>(BYTE_TO_CHAR.map((ch, byte) => [ch.charCodeAt(0), byte]));
const utf8 = new TextEncoder();

/** The byte-level spelling of a string's UTF-8 bytes: one code point (one UTF-16 unit) per byte. */
export function toByteLevel(text: string): string {
  const bytes = utf8.encode(text);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_CHAR[bytes[i]];
  return out;
}

/** The byte-level character that stands for one byte. */
export function byteLevelChar(byte: number): string {
  return BYTE_TO_CHAR[byte];
}

/**
 * The bytes a byte-level token text stands for. A code point outside the alphabet has no byte; like
 * llama.cpp we keep it visible as "[UNK_BYTE_0x<utf8 hex>…]" rather than dropping it silently.
 */
export function fromByteLevel(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const byte = CHAR_TO_BYTE.get(ch.codePointAt(0)!);
    if (byte !== undefined) {
      out.push(byte);
      continue;
    }
    const hex = Array.from(utf8.encode(ch), (b) => b.toString(16).padStart(2, '0')).join('');
    out.push(...utf8.encode(`[UNK_BYTE_0x${hex}${text}]`));
  }
  return Uint8Array.from(out);
}
