import type { Tokenizer } from './tokenizer';

/**
 * Turns generated token ids into text as they arrive, emitting only complete characters: a character whose
 * UTF-8 bytes are spread over several byte tokens (an emoji from `<0xF0><0x9F><0x98><0x81>`, or a CJK character
 * split by byte-level BPE) comes out once its last byte arrives, never as replacement characters in between.
 * Bytes that can never form a character come out as U+FFFD as soon as that is certain.
 */
export class TokenStreamDecoder {
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  /** `special`: show control tokens (e.g. "<|im_end|>") as their text instead of nothing. */
  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly special = false,
  ) {}

  /** The text that became complete with this token (possibly ""). */
  push(id: number): string {
    return this.decoder.decode(this.tokenizer.piece(id, this.special), { stream: true });
  }

  /** Ends the stream: bytes of an unfinished character come out as U+FFFD. */
  flush(): string {
    return this.decoder.decode();
  }
}
