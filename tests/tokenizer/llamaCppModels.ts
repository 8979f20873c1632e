import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGguf } from '../../src/formats/gguf';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { llamaCppVocab } from '../../scripts/lib/llamaCppVocab';
import { REPO_ROOT, sharedData } from '../sharedData';

/**
 * Files from llama.cpp's `models/` folder, taken from the llama.cpp source bundle inside the pinned
 * node-llama-cpp package: the tokenizer vectors of vocabularies that ../shared/data does not carry
 * (Llama 3's "llama-bpe", Qwen2, ...). The GGUF files come through tests/formats/llamaCppVocab.ts, because the
 * copies in ../shared/data/llama-vocab were mangled by a text decoder (their .inp/.out text is intact).
 */
const BUNDLE = join(REPO_ROOT, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');

export function llamaCppModelFile(name: string): string {
  const dir = join(tmpdir(), 'lora-lab-llama-models');
  const path = join(dir, name.replaceAll('/', '__'));
  if (existsSync(path)) return path;
  const bytes = execFileSync('git', ['-C', bundleRepo(dir), 'show', `FETCH_HEAD:models/${name}`], { maxBuffer: 1 << 30 });
  const partial = `${path}.${process.pid}.part`;
  writeFileSync(partial, bytes);
  renameSync(partial, path);
  return path;
}

/** A git repository holding the bundle's commit, fetched once and shared by all test workers. */
function bundleRepo(dir: string): string {
  const repo = join(dir, 'git');
  if (existsSync(repo)) return repo;
  if (!existsSync(BUNDLE)) throw new Error(`llama.cpp source bundle missing: ${BUNDLE} (is node-llama-cpp@3.21.1 installed?)`);
  mkdirSync(dir, { recursive: true });
  const mine = join(dir, `git-${process.pid}`);
  execFileSync('git', ['init', '-q', mine]);
  execFileSync('git', ['-C', mine, 'fetch', '-q', BUNDLE, 'HEAD']);
  try {
    renameSync(mine, repo);
  } catch {
    // Another worker got there first; its repository is just as good.
    rmSync(mine, { recursive: true, force: true });
  }
  return repo;
}

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
    t = openAsBlob(vocabPath(name)).then(readGguf).then((file) => new Tokenizer(vocabFromGguf(file, name)));
    tokenizers.set(name, t);
  }
  return t;
}
