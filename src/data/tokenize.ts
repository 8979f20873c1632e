/**
 * Examples to token sequences for training. SFT rows: BOS, the Alpaca/MetaMath prompt, then " " + response
 * and EOS; only the response and EOS are targets (the prompt is masked from the loss). Text rows: BOS, the
 * text, EOS, all targets. The prompt and response are encoded separately so the mask boundary is exact; the
 * separating space belongs to the response, matching the evaluation prompt "### Response: Let's think…".
 *
 * Mask convention: `targets[i] = 1` means the loss includes predicting `tokens[i]` from the tokens before it.
 */
import type { Example } from './example';
import { sftTrainPrompt } from './sftTemplate';

/** Any tokenizer the lab has (the GGUF tokenizers in src/tokenizer/ satisfy this). */
export interface Tokenizer {
  encode(text: string): number[];
}

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
  truncated: number;
  /** Skipped because of 'drop', or because the prompt alone filled maxTokens (nothing left to learn). */
  dropped: number;
}

export function tokenizeExample(example: Example, tokenizer: Tokenizer, special: SpecialTokens): TokenizedExample {
  const prompt = example.kind === 'sft' ? tokenizer.encode(sftTrainPrompt(example.prompt)) : [];
  const response = tokenizer.encode(example.kind === 'sft' ? ` ${example.response}` : example.response);
  const length = 1 + prompt.length + response.length + 1;
  const tokens = new Int32Array(length);
  const targets = new Uint8Array(length);
  tokens[0] = special.bos;
  tokens.set(prompt, 1);
  tokens.set(response, 1 + prompt.length);
  tokens[length - 1] = special.eos;
  targets.fill(1, 1 + prompt.length);
  return { tokens, targets, from: { shard: example.shard, row: example.row } };
}

export function tokenizeExamples(
  examples: Iterable<Example>,
  tokenizer: Tokenizer,
  special: SpecialTokens,
  options: Partial<TokenizeOptions> = {},
): TokenizedSet {
  const { maxTokens, overflow } = { ...DEFAULT_TOKENIZE, ...options };
  const out: TokenizedSet = { examples: [], truncated: 0, dropped: 0 };
  for (const example of examples) {
    const t = tokenizeExample(example, tokenizer, special);
    if (t.tokens.length <= maxTokens) {
      out.examples.push(t);
      continue;
    }
    const targets = t.targets.subarray(0, maxTokens);
    if (overflow === 'drop' || !targets.includes(1)) {
      out.dropped++;
      continue;
    }
    out.truncated++;
    out.examples.push({ tokens: t.tokens.slice(0, maxTokens), targets: targets.slice(), from: t.from });
  }
  return out;
}
