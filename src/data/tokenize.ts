/**
 * Examples to token sequences for training. SFT rows: BOS, then the Alpaca/MetaMath prompt, a space and the
 * response encoded as one text (the way the model reads "### Response: Let's think…" at evaluation), then EOS.
 * The loss starts where that encoding stops matching the encoding of the prompt alone: with most tokenizers
 * exactly at the prompt's end; where a token merges across the boundary, that token is a target. Text rows:
 * BOS, the text, EOS, every token after BOS a target.
 *
 * Mask convention: `targets[i] = 1` means the loss includes predicting `tokens[i]` from the tokens before it.
 */
import type { Example } from './example';
import { sftTrainPrompt } from './sftTemplate';

/**
 * Any tokenizer the lab has; the GGUF tokenizers in src/tokenizer/ satisfy it as they are. It is always called
 * with `addSpecial: false`, because BOS and EOS are placed here, once per example.
 */
export interface Tokenizer {
  encode(text: string, options?: { addSpecial?: boolean }): number[];
}

const PLAIN = { addSpecial: false };

export interface SpecialTokens {
  bos: number;
  eos: number;
}

export interface TokenizedExample {
  tokens: Int32Array;
  targets: Uint8Array;
  /** The example it came from (shard and row), so a bad batch can be traced to its rows. */
  from: Pick<Example, 'shard' | 'row'>;
}

export interface TokenizeOptions {
  /** Longest sequence kept, in tokens (2048 as Skywork-Math; 512 cost it 0.7-3.6 MATH points). */
  maxTokens: number;
  /** Longer examples are cut at maxTokens ('truncate', keeping the prompt and the start of the response) or skipped. */
  overflow: 'truncate' | 'drop';
}

export const DEFAULT_TOKENIZE: TokenizeOptions = { maxTokens: 2048, overflow: 'truncate' };

export interface TokenizedSet {
  examples: TokenizedExample[];
  /** The examples behind `examples`, in the same order (what an export to other trainers writes out). */
  kept: Example[];
  truncated: number;
  /** Skipped because of 'drop', or because the prompt alone filled maxTokens (nothing left to learn). */
  dropped: number;
}

export function tokenizeExample(example: Example, tokenizer: Tokenizer, special: SpecialTokens): TokenizedExample {
  let body: number[];
  let promptLength = 0;
  if (example.kind === 'sft') {
    const prompt = sftTrainPrompt(example.prompt);
    body = tokenizer.encode(`${prompt} ${example.response}`, PLAIN);
    const promptIds = tokenizer.encode(prompt, PLAIN);
    while (promptLength < promptIds.length && promptIds[promptLength] === body[promptLength]) promptLength++;
  } else {
    body = tokenizer.encode(example.response, PLAIN);
  }
  const length = 1 + body.length + 1;
  const tokens = new Int32Array(length);
  const targets = new Uint8Array(length);
  tokens[0] = special.bos;
  tokens.set(body, 1);
  tokens[length - 1] = special.eos;
  targets.fill(1, 1 + promptLength);
  return { tokens, targets, from: { shard: example.shard, row: example.row } };
}

/** An example tokenized and fitted to `maxTokens`: whole, cut (`truncated`), or undefined when dropped. */
export function tokenizeToFit(
  example: Example,
  tokenizer: Tokenizer,
  special: SpecialTokens,
  options: TokenizeOptions,
): { tokenized: TokenizedExample; truncated: boolean } | undefined {
  const t = tokenizeExample(example, tokenizer, special);
  if (t.tokens.length <= options.maxTokens) return { tokenized: t, truncated: false };
  const targets = t.targets.subarray(0, options.maxTokens);
  if (options.overflow === 'drop' || !targets.includes(1)) return undefined;
  return { tokenized: { tokens: t.tokens.slice(0, options.maxTokens), targets: targets.slice(), from: t.from }, truncated: true };
}

export function tokenizeExamples(
  examples: Iterable<Example>,
  tokenizer: Tokenizer,
  special: SpecialTokens,
  options: Partial<TokenizeOptions> = {},
): TokenizedSet {
  const fit = { ...DEFAULT_TOKENIZE, ...options };
  const out: TokenizedSet = { examples: [], kept: [], truncated: 0, dropped: 0 };
  for (const example of examples) {
    const t = tokenizeToFit(example, tokenizer, special, fit);
    if (!t) {
      out.dropped++;
      continue;
    }
    if (t.truncated) out.truncated++;
    out.examples.push(t.tokenized);
    out.kept.push(example);
  }
  return out;
}
