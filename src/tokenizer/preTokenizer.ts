import { LabError } from '../errors';

/**
 * Pre-tokenizers for byte-level BPE: the word splits applied before merges, chosen by `tokenizer.ggml.pre`.
 * Each variant is a list of patterns applied in turn: every pattern re-splits each piece of the previous
 * split into its matches and the unmatched gaps between them (so pieces always cover the text), and `$` or a
 * lookahead sees the end of the piece, not of the text. These are the splits llama.cpp uses for the same
 * names; "\s" is Unicode White_Space (as llama.cpp's tables define it, so U+0085 is a space and U+FEFF is not).
 */

const WS = '\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const S = `[${WS}]`;
const NOT_S = `[^${WS}]`;

/** The original GPT-2 split: contractions, letters, digits, other symbols, each with one optional leading space. */
const GPT2 = `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|${S}+(?!${NOT_S})`;

/**
 * Llama 3 / Qwen2 style: case-insensitive contractions, a word keeps one leading non-letter, digits in groups
 * of `digits`, newlines grouped. `letter` is the class a word is made of (Qwen3.5 adds combining marks).
 */
function llama3Style(digits: string, letter = '\\p{L}'): string {
  return (
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])" +
    `|[^\\r\\n\\p{L}\\p{N}]?[${letter}]+|\\p{N}${digits}| ?[^${WS}${letter}\\p{N}]+[\\r\\n]*` +
    `|${S}*[\\r\\n]+|${S}+(?!${NOT_S})|${S}+`
  );
}

/** DeepSeek LLM's cased-letter class (Latin, Greek, Cyrillic, Armenian, Georgian, Cherokee, … and their fullwidth forms). */
const DEEPSEEK_CASED =
  'A-Za-z\\u00b5\\u00c0-\\u00d6\\u00d8-\\u00f6\\u00f8-\\u01ba\\u01bc-\\u01bf\\u01c4-\\u0293\\u0295-\\u02af\\u0370-\\u0373' +
  '\\u0376\\u0377\\u037b-\\u037d\\u037f\\u0386\\u0388-\\u038a\\u038c\\u038e-\\u03a1\\u03a3-\\u03f5\\u03f7-\\u0481' +
  '\\u048a-\\u052f\\u0531-\\u0556\\u10a0-\\u10c5\\u13a0-\\u13f5\\u13f8-\\u13fd\\u1c90-\\u1cba\\u1cbd-\\u1cbf\\u1d00-\\u1d2b' +
  '\\u1d6b-\\u1d77\\u1d79-\\u1d9a\\u1e00-\\u1f15\\u1f18-\\u1f1d\\u1f20-\\u1f45\\u1f48-\\u1f4d\\u1f50-\\u1f57\\u1f59\\u1f5b' +
  '\\u1f5d\\u1f5f-\\u1f7d\\u1f80-\\u1fb4\\u1fb6-\\u1fbc\\u1fbe\\u1fc2-\\u1fc4\\u1fc6-\\u1fcc\\u1fd0-\\u1fd3\\u1fd6-\\u1fdb' +
  '\\u1fe0-\\u1fec\\u1ff2-\\u1ff4\\u1ff6-\\u1ffc\\u2102\\u2107\\u210a-\\u2113\\u2115\\u2119-\\u211d\\u2124\\u2126\\u2128' +
  '\\u212a-\\u212d\\u212f-\\u2134\\u2139\\u213c-\\u213f\\u2145-\\u2149\\u214e\\u2183\\u2184\\u2c00-\\u2c7b\\u2c7e-\\u2ce4' +
  '\\u2ceb-\\u2cee\\u2cf2\\u2cf3\\ua640-\\ua66d\\ua680-\\ua69b\\ua722-\\ua76f\\ua771-\\ua787\\ua78b-\\ua78e\\uab70-\\uabbf' +
  '\\ufb00-\\ufb06\\ufb13-\\ufb17\\uff21-\\uff3a\\uff41-\\uff5a\\u{10400}-\\u{1044f}\\u{104b0}-\\u{104d3}\\u{104d8}-\\u{104fb}' +
  '\\u{10c80}-\\u{10cb2}\\u{10cc0}-\\u{10cf2}\\u{118a0}-\\u{118df}\\u{1e900}-\\u{1e943}';

/** CJK ideographs, the blocks below them, and Hangul, kept as runs. */
const CJK = '[\\u4e00-\\u9fa5\\u0800-\\u4e00\\uac00-\\ud7ff]+';

export interface PreTokenizer {
  /** The patterns, applied in order. */
  patterns: RegExp[];
  /** A whole word that is already a token skips the merges (Llama 3's tokenizer.json `ignore_merges`). */
  ignoreMerges: boolean;
  /** Decoding removes spaces before punctuation and some contractions (`clean_up_tokenization_spaces`). */
  cleanSpaces: boolean;
  /** The variant's default for adding BOS when the file does not say (`tokenizer.ggml.add_bos_token`). */
  addBosByDefault: boolean;
}

interface Variant {
  names: string[];
  patterns: string[];
  ignoreMerges?: boolean;
  cleanSpaces?: boolean;
  addBos?: boolean;
}

const VARIANTS: Variant[] = [
  {
    names: ['default'],
    patterns: ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2, '\\p{N}+', '[0-9][0-9][0-9]'],
    cleanSpaces: true,
  },
  { names: ['gpt-2', 'phi-2', 'roberta-bpe', 'mpt', 'olmo', 'jais'], patterns: [GPT2], cleanSpaces: true },
  { names: ['falcon'], patterns: ['[\\p{P}\\$\\+<=>\\^~\\|`]+', GPT2, '[0-9][0-9][0-9]'], cleanSpaces: true },
  { names: ['starcoder', 'refact', 'codeshell', 'exaone', 'minerva-7b'], patterns: ['\\p{N}', GPT2], cleanSpaces: true },
  { names: ['command-r', 'smollm'], patterns: ['\\p{N}', GPT2] },
  {
    names: ['llama3', 'llama-v3', 'llama-bpe', 'falcon3'],
    patterns: [llama3Style('{1,3}')],
    ignoreMerges: true,
    cleanSpaces: true,
    addBos: true,
  },
  { names: ['qwen2', 'deepseek-r1-qwen'], patterns: [llama3Style('')] },
  { names: ['stablelm2', 'megrez'], patterns: [llama3Style('')], cleanSpaces: true },
  { names: ['qwen35'], patterns: [llama3Style('', '\\p{L}\\p{M}')] },
  {
    names: ['deepseek-llm'],
    patterns: [
      '[\\r\\n]',
      `${S}?[${DEEPSEEK_CASED}]+`,
      `${S}?[!-/:-~\\uff01-\\uff0f\\uff1a-\\uff5e\\u2018-\\u201f\\u3000-\\u3002]+`,
      `${S}+$`,
      CJK,
      '\\p{N}+',
    ],
  },
  { names: ['deepseek-coder'], patterns: ['[\\r\\n]', `${S}?\\p{L}+`, `${S}?\\p{P}+`, CJK, '\\p{N}'] },
];

export const SUPPORTED_PRE_TOKENIZERS: string[] = VARIANTS.flatMap((v) => v.names);

/** The pre-tokenizer a `tokenizer.ggml.pre` names; an unknown name is an error, never a silent fallback. */
export function preTokenizerFor(pre: string): PreTokenizer {
  const variant = VARIANTS.find((v) => v.names.includes(pre));
  if (!variant) {
    throw new LabError(
      `pre-tokenizer "${pre}" is not supported`,
      'tokenizer.ggml.pre',
      `supported: ${SUPPORTED_PRE_TOKENIZERS.join(', ')}`,
    );
  }
  return {
    patterns: variant.patterns.map((p) => new RegExp(p, 'gu')),
    ignoreMerges: variant.ignoreMerges ?? false,
    cleanSpaces: variant.cleanSpaces ?? false,
    addBosByDefault: variant.addBos ?? false,
  };
}

/** Splits text into the words BPE merges within; the words concatenate back to the text. */
export function splitWords(text: string, patterns: RegExp[]): string[] {
  let pieces = [text];
  for (const pattern of patterns) {
    const next: string[] = [];
    for (const piece of pieces) {
      let end = 0;
      pattern.lastIndex = 0;
      for (let m = pattern.exec(piece); m !== null; m = pattern.exec(piece)) {
        if (m[0].length === 0) {
          pattern.lastIndex++;
          continue;
        }
        if (m.index > end) next.push(piece.slice(end, m.index));
        next.push(m[0]);
        end = m.index + m[0].length;
      }
      if (end < piece.length) next.push(piece.slice(end));
    }
    pieces = next;
  }
  return pieces;
}
