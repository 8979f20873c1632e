import { LabError } from '../errors';
import { fromByteLevel } from './byteLevel';
import { BytePairEncoder } from './bpe';
import { preTokenizerFor } from './preTokenizer';
import { splitSpecialTokens } from './specialTokens';
import { SentencePieceEncoder } from './spm';
import { checkVocab, TokenType, type TokenizerVocab } from './vocab';

export interface EncodeOptions {
  /** Add BOS/EOS as the vocabulary says (`addBos`, `addEos`). Default true. */
  addSpecial?: boolean;
  /** Recognise control tokens such as "<s>" or "<|im_start|>" written in the text. Default false: they are plain text. */
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Drop a leading BOS and trailing EOS that encoding would have added. Default false. */
  removeSpecial?: boolean;
  /** Show control tokens as their text (e.g. "</s>"); by default they decode to nothing. */
  unparseSpecial?: boolean;
  /**
   * Remove spaces before punctuation as llama.cpp does for some BPE vocabularies (GPT-2, Llama 3); defaults to
   * the vocabulary's setting. Pass false to get exactly the bytes the tokens stand for.
   */
  cleanUpSpaces?: boolean;
}

/**
 * Token texts that end generation whatever the file says (llama.cpp, as pinned by node-llama-cpp 3.21.1, finds
 * them by text and makes them control tokens), and the texts it takes as end-of-turn when the file names none,
 * in the order we try them.
 */
const END_OF_GENERATION_TEXTS = [
  '<|eot_id|>',
  '<|im_end|>',
  '<|end|>',
  '<|return|>',
  '<|call|>',
  '<|flush|>',
  '<|calls|>',
  '<end_of_turn>',
  '<|endoftext|>',
  '</s>',
  '<|eom_id|>',
  '<EOT>',
  '_<EOT>',
  '[EOT]',
  '[EOS]',
  '<|end_of_text|>',
  '<end_of_utterance>',
  '<eos>',
  '<turn|>',
  '<|tool_response>',
  '<｜end▁of▁sentence｜>',
  '[e~[',
];
const END_OF_TURN_TEXTS = [
  '<|eot_id|>',
  '<|im_end|>',
  '<|end|>',
  '<end_of_turn>',
  '<|endoftext|>',
  '<|end_of_text|>',
  '<EOT>',
  '_<EOT>',
  '[EOT]',
  '<｜end▁of▁sentence｜>',
  '<end_of_utterance>',
];

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * Text ⇄ token ids for a GGUF vocabulary, behaving as llama.cpp's `llama_tokenize` / `llama_detokenize`:
 * special tokens are cut out first (longest first), the rest goes through SentencePiece-style or byte-level
 * BPE, BOS/EOS are added as the vocabulary says, and decoding works on bytes so a character split across
 * tokens comes out whole (see `TokenStreamDecoder` for streaming).
 */
export class Tokenizer {
  readonly vocab: TokenizerVocab;
  /** Token types after llama.cpp's fix-ups (end-of-turn texts are control tokens whatever the file says). */
  private readonly types: Uint8Array;
  private readonly texts: string[];
  private readonly tokenToId = new Map<string, number>();
  private readonly spm?: SentencePieceEncoder;
  private readonly bpe?: BytePairEncoder;
  /** Whether `decode` cleans up spaces unless told otherwise. */
  readonly cleanSpaces: boolean;
  /** [id, text] of control/unknown/user-defined tokens, longest text first. */
  private readonly specials: (readonly [number, string])[];
  private readonly userDefined: (readonly [number, string])[];
  private readonly pieces: (Uint8Array | undefined)[] = [];
  private readonly endOfGeneration = new Set<number>();
  readonly eotId: number | null;

  constructor(vocab: TokenizerVocab) {
    checkVocab(vocab);
    this.vocab = vocab;
    const n = vocab.tokens.length;
    // An empty token text could never be matched or merged; llama.cpp gives it a placeholder text.
    this.texts = vocab.tokens.map((t, id) => (t === '' ? `[EMPTY_${id}]` : t));
    this.texts.forEach((t, id) => this.tokenToId.set(t, id));
    this.types = new Uint8Array(n).fill(TokenType.Normal);
    if (vocab.tokenTypes) for (let id = 0; id < n; id++) this.types[id] = vocab.tokenTypes[id];

    for (const text of END_OF_GENERATION_TEXTS) {
      const id = this.tokenToId.get(text);
      if (id === undefined) continue;
      this.types[id] = TokenType.Control;
      this.endOfGeneration.add(id);
    }
    let eotId = vocab.eotId;
    for (const text of END_OF_TURN_TEXTS) {
      if (eotId !== null) break;
      eotId = this.tokenToId.get(text) ?? null;
      if (eotId !== null) this.types[eotId] = TokenType.Control;
    }
    this.eotId = eotId;
    for (const id of [vocab.eosId, eotId, vocab.eomId]) if (id !== null) this.endOfGeneration.add(id);

    const special = (t: number) => t === TokenType.Control || t === TokenType.UserDefined || t === TokenType.Unknown;
    // Longest first by UTF-8 length, as llama.cpp orders them (ties by id).
    this.specials = this.texts
      .map((text, id) => [id, text] as const)
      .filter(([id]) => special(this.types[id]))
      .map(([id, text]) => [id, text, utf8.encode(text).length] as const)
      .sort((a, b) => b[2] - a[2] || a[0] - b[0])
      .map(([id, text]) => [id, text] as const);
    this.userDefined = this.specials.filter(([id]) => this.types[id] === TokenType.UserDefined);

    if (vocab.model === 'llama') {
      this.spm = new SentencePieceEncoder(this.tokenToId, vocab.scores, vocab.unkId);
      this.cleanSpaces = false;
    } else {
      const pre = preTokenizerFor(vocab.pre);
      this.bpe = new BytePairEncoder(this.tokenToId, n, vocab.merges!, pre);
      this.cleanSpaces = pre.cleanSpaces;
    }
  }

  get size(): number {
    return this.texts.length;
  }

  get bosId(): number | null {
    return this.vocab.bosId;
  }

  get eosId(): number | null {
    return this.vocab.eosId;
  }

  /** The token's text as stored in the vocabulary (e.g. "▁Hello", "Ġworld", "<0x0A>"). */
  tokenText(id: number): string {
    this.checkId(id);
    return this.texts[id];
  }

  tokenType(id: number): TokenType {
    this.checkId(id);
    return this.types[id];
  }

  /** The id of a token with exactly this text, if any (e.g. "<|im_end|>"). */
  idOf(text: string): number | undefined {
    return this.tokenToId.get(text);
  }

  /** Whether generation ends at this token (EOS, end of turn, end of message). */
  isEndOfGeneration(id: number): boolean {
    return this.endOfGeneration.has(id);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const addSpecial = options.addSpecial ?? true;
    const fragments = splitSpecialTokens(text, options.parseSpecial ? this.specials : this.userDefined);
    const out: number[] = [];
    if (addSpecial && this.vocab.addBos) out.push(this.required(this.vocab.bosId, 'bos_token_id'));
    let afterSpecial = true;
    for (const fragment of fragments) {
      if ('id' in fragment) {
        out.push(fragment.id);
        afterSpecial = true;
      } else if (this.spm) {
        const spaced = this.vocab.addSpacePrefix && afterSpecial ? ` ${fragment.text}` : fragment.text;
        this.spm.encode(spaced.replaceAll(' ', '▁'), out);
        afterSpecial = false;
      } else {
        this.bpe!.encode(fragment.text, out);
      }
    }
    if (addSpecial && this.vocab.addEos) out.push(this.required(this.vocab.eosId, 'eos_token_id'));
    return out;
  }

  /**
   * The bytes one token stands for. Control and unknown tokens give nothing unless `special`; a byte
   * token gives its byte, so a multi-byte character may be split across tokens.
   */
  piece(id: number, special = false): Uint8Array {
    this.checkId(id);
    const type = this.types[id];
    if (type === TokenType.Control || type === TokenType.Unknown) return special ? utf8.encode(this.texts[id]) : EMPTY;
    let bytes = this.pieces[id];
    if (!bytes) {
      bytes = this.computePiece(id, type);
      this.pieces[id] = bytes;
    }
    return bytes;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    let first = 0;
    let end = ids.length;
    // SentencePiece put a space before the text; take it back off the first piece.
    let removeSpace = this.vocab.addSpacePrefix;
    if (options.removeSpecial && this.vocab.addBos && end > 0 && ids[0] === this.vocab.bosId) {
      removeSpace = false;
      first = 1;
    }
    if (options.removeSpecial && this.vocab.addEos && end > first && ids[end - 1] === this.vocab.eosId) end--;

    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = first; i < end; i++) {
      let bytes = this.piece(ids[i], options.unparseSpecial ?? false);
      if (removeSpace && bytes[0] === 0x20) bytes = bytes.subarray(1);
      removeSpace = false;
      parts.push(bytes);
      total += bytes.length;
    }
    const all = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(all);
    return (options.cleanUpSpaces ?? this.cleanSpaces) ? cleanUpSpaces(text) : text;
  }

  private computePiece(id: number, type: TokenType): Uint8Array {
    const text = this.texts[id];
    if (type === TokenType.UserDefined) return utf8.encode(text);
    // Byte tokens are spelled "<0xXX>" in both kinds of vocabulary.
    if (type === TokenType.Byte) return Uint8Array.of(parseInt(text.slice(3, 5), 16));
    if (type !== TokenType.Normal) return EMPTY;
    return this.spm ? utf8.encode(text.replaceAll('▁', ' ')) : fromByteLevel(text);
  }

  private checkId(id: number): void {
    if (!(Number.isInteger(id) && id >= 0 && id < this.texts.length)) {
      throw new LabError(`token id ${id} is outside the vocabulary (0..${this.texts.length - 1})`, 'tokenizer');
    }
  }

  private required(id: number | null, field: string): number {
    if (id === null) {
      throw new LabError(`the vocabulary asks for this token but has none`, `tokenizer.ggml.${field}`);
    }
    return id;
  }
}

/**
 * Hugging Face's `clean_up_tokenization_spaces`, as llama.cpp applies it when decoding some BPE vocabularies:
 * no space before "?!.,", " ' " becomes "'", and no space before "'s", "'m", "'re", "'ve".
 */
export function cleanUpSpaces(text: string): string {
  let s = text.replace(/ ([?!.,])/g, '$1');
  s = s.replace(/ ' /g, "'");
  s = s.replace(/ '(s|m|re|ve)/g, "'$1");
  return s;
}
