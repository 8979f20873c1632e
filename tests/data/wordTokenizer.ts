import type { SpecialTokens, Tokenizer } from '../../src/data/tokenize';

/** A whitespace tokenizer for tests: each distinct word gets the next id; 0 pads, 1 and 2 are BOS and EOS. */
export class WordTokenizer implements Tokenizer {
  readonly special: SpecialTokens = { bos: 1, eos: 2 };
  readonly pad = 0;
  private readonly ids = new Map<string, number>();
  private readonly words: string[] = ['<pad>', '<s>', '</s>'];

  encode(text: string): number[] {
    return text
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => {
        let id = this.ids.get(w);
        if (id === undefined) {
          id = this.words.length;
          this.ids.set(w, id);
          this.words.push(w);
        }
        return id;
      });
  }

  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (id) => this.words[id]).join(' ');
  }
}
