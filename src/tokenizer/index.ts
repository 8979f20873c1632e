export { TokenType, checkVocab, type TokenizerVocab } from './vocab';
export { vocabFromGguf } from './fromGguf';
export { Tokenizer, cleanUpSpaces, type EncodeOptions, type DecodeOptions } from './tokenizer';
export { SUPPORTED_PRE_TOKENIZERS, preTokenizerFor, splitWords, type PreTokenizer } from './preTokenizer';
export { parseVocabTestInput, formatVocabTestOutput, VOCAB_TEST_SEPARATOR } from './testVectors';
export { TokenStreamDecoder } from './streamDecoder';
