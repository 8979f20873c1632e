import { LabError } from '../errors';
import { metaNumberArray, metaString, metaStringArray, optMetaBool, optMetaNumber, optMetaString, type GgufFile } from '../formats/gguf';
import { preTokenizerFor } from './preTokenizer';
import { checkVocab, type TokenizerVocab } from './vocab';

/** Special-token ids when the file names none: llama.cpp's defaults for each tokenizer model. */
const DEFAULT_IDS = {
  llama: { bos: 1, eos: 2, unk: 0 },
  gpt2: { bos: 11, eos: 11, unk: null },
} as const;

/**
 * Reads a model file's tokenizer metadata (`tokenizer.ggml.*`) into a `TokenizerVocab`, filling in what the
 * file leaves out the way llama.cpp does. `source` names the file in error messages.
 */
export function vocabFromGguf(file: GgufFile, source = 'GGUF file'): TokenizerVocab {
  const where = (key: string) => `${source}: ${key}`;
  const model = wrap(source, () => metaString(file, 'tokenizer.ggml.model'));
  if (model !== 'llama' && model !== 'gpt2') {
    throw new LabError(
      `tokenizer model "${model}" is not supported`,
      where('tokenizer.ggml.model'),
      'supported: "llama" (SentencePiece) and "gpt2" (byte-level BPE)',
    );
  }
  const pre = model === 'gpt2' ? (wrap(source, () => optMetaString(file, 'tokenizer.ggml.pre')) ?? 'default') : 'default';
  const preTokenizer = wrap(source, () => preTokenizerFor(pre));
  const tokens = wrap(source, () => metaStringArray(file, 'tokenizer.ggml.tokens'));
  const optionalArray = (key: string) => (file.metadata.has(key) ? wrap(source, () => metaNumberArray(file, key)) : undefined);

  const n = tokens.length;
  // A named id outside the vocabulary is ignored in favour of the default, as llama.cpp does (with a warning).
  const id = (field: string, fallback: number | null): number | null => {
    const named = wrap(source, () => optMetaNumber(file, `tokenizer.ggml.${field}`));
    const chosen = named !== undefined && named >= 0 && named < n ? named : fallback;
    return chosen !== null && chosen < n ? chosen : null;
  };
  const defaults = DEFAULT_IDS[model];
  const flag = (field: string, fallback: boolean) => wrap(source, () => optMetaBool(file, `tokenizer.ggml.${field}`)) ?? fallback;

  const vocab: TokenizerVocab = {
    model,
    pre,
    tokens,
    scores: optionalArray('tokenizer.ggml.scores'),
    tokenTypes: optionalArray('tokenizer.ggml.token_type'),
    merges: model === 'gpt2' ? wrap(source, () => metaStringArray(file, 'tokenizer.ggml.merges')) : undefined,
    bosId: id('bos_token_id', defaults.bos),
    eosId: id('eos_token_id', defaults.eos),
    unkId: id('unknown_token_id', defaults.unk),
    padId: id('padding_token_id', null),
    eotId: id('eot_token_id', null),
    eomId: id('eom_token_id', null),
    addBos: flag('add_bos_token', model === 'llama' || preTokenizer.addBosByDefault),
    addEos: flag('add_eos_token', false),
    addSpacePrefix: flag('add_space_prefix', model === 'llama'),
  };
  checkVocab(vocab, source);
  return vocab;
}

/** Prefixes the file name to the metadata getters' errors, which name only the key. */
function wrap<T>(source: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof LabError) throw new LabError(error.what, error.where ? `${source}: ${error.where}` : source, error.hint);
    throw error;
  }
}
