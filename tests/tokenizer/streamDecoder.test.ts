import { describe, expect, it } from 'vitest';
import { TokenStreamDecoder } from '../../src/tokenizer';
import { loadTokenizer } from './llamaCppModels';
import { HAND_WRITTEN } from './parityStrings';

describe('TokenStreamDecoder', () => {
  it('holds back the bytes of an emoji spread over byte tokens until the character is complete', async () => {
    const t = await loadTokenizer('llama-spm');
    const ids = t.encode('😁', { addSpecial: false });
    // "▁" then the four UTF-8 bytes F0 9F 98 81 as <0xXX> tokens.
    expect(ids.map((id) => t.tokenText(id))).toEqual(['▁', '<0xF0>', '<0x9F>', '<0x98>', '<0x81>']);
    const stream = new TokenStreamDecoder(t);
    expect(ids.map((id) => stream.push(id))).toEqual([' ', '', '', '', '😁']);
    expect(stream.flush()).toBe('');
  });

  it('holds back a CJK character that byte-level BPE split across tokens', async () => {
    const t = await loadTokenizer('gpt-2');
    const ids = t.encode('我', { addSpecial: false });
    expect(ids.length).toBeGreaterThan(1);
    const stream = new TokenStreamDecoder(t);
    const parts = ids.map((id) => stream.push(id));
    expect(parts.slice(0, -1).every((p) => p === '')).toBe(true);
    expect(parts[parts.length - 1]).toBe('我');
  });

  it('gives U+FFFD for bytes that cannot form a character, and for an unfinished one at the end', async () => {
    const t = await loadTokenizer('llama-spm');
    const byte = (hex: string) => t.idOf(`<0x${hex}>`)!;
    const stream = new TokenStreamDecoder(t);
    expect(stream.push(byte('FF'))).toBe('\ufffd');
    expect(stream.push(byte('E6'))).toBe('');
    expect(stream.flush()).toBe('\ufffd');
  });

  it('shows control tokens only when asked', async () => {
    const t = await loadTokenizer('qwen2');
    const end = t.idOf('<|im_end|>')!;
    expect(new TokenStreamDecoder(t).push(end)).toBe('');
    expect(new TokenStreamDecoder(t, true).push(end)).toBe('<|im_end|>');
  });

  it.each(['llama-spm', 'gpt-2', 'qwen2'] as const)('streams exactly the decoded text of every test string (%s)', async (name) => {
    const t = await loadTokenizer(name);
    for (const s of HAND_WRITTEN) {
      // Text that follows a prompt: no leading space is removed, as in generation.
      const ids = t.encode(`x${s}`, { addSpecial: false }).slice(1);
      const stream = new TokenStreamDecoder(t);
      const streamed = ids.map((id) => stream.push(id)).join('') + stream.flush();
      expect(streamed).toBe(new TextDecoder('utf-8', { ignoreBOM: true }).decode(concat(ids.map((id) => t.piece(id)))));
    }
  });
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
