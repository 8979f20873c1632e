import { openAsBlob, readFileSync } from 'node:fs';
import { readGguf } from '../../src/formats/gguf';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { llamaCppModelFile, llamaCppVocab } from '../../scripts/lib/llamaCppVocab';
import { sharedData } from '../sharedData';

export type VocabName = 'llama-spm' | 'gpt-2' | 'deepseek-llm' | 'qwen2' | 'llama-bpe';

/** Vocabularies whose vectors ../shared/data carries; the others' vectors come from the bundle. */
export const SHARED_VOCABS: VocabName[] = ['llama-spm', 'gpt-2', 'deepseek-llm'];

export function vocabPath(name: VocabName): string {
  return llamaCppVocab(name);
}

/** The test strings and expected id lines of a vocabulary, as text. */
export function vocabVectors(name: VocabName): { inp: string; out: string } {
  const file = (ext: string) =>
    SHARED_VOCABS.includes(name)
      ? sharedData('llama-vocab', `ggml-vocab-${name}.gguf.${ext}`)
      : llamaCppModelFile(`ggml-vocab-${name}.gguf.${ext}`);
  return { inp: readFileSync(file('inp'), 'utf8'), out: readFileSync(file('out'), 'utf8') };
}

const tokenizers = new Map<VocabName, Promise<Tokenizer>>();

export function loadTokenizer(name: VocabName): Promise<Tokenizer> {
  let t = tokenizers.get(name);
  if (!t) {
    t = openAsBlob(vocabPath(name))
      .then(readGguf)
      .then((file) => new Tokenizer(vocabFromGguf(file, name)));
    tokenizers.set(name, t);
  }
  return t;
}
