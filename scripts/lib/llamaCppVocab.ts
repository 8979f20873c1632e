import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Files from llama.cpp's `models/` folder (vocab-only GGUF files, tokenizer vectors, chat templates), taken
 * byte-exact from the llama.cpp source bundle that the pinned node-llama-cpp package ships
 * (`node_modules/node-llama-cpp/llama/gitRelease.bundle`).
 *
 * Why not ../shared/data/llama-vocab for the GGUF files: those copies went through a text decoder (every invalid
 * UTF-8 byte sequence became EF BF BD), so their binary fields are destroyed; decoding the genuine file as UTF-8
 * with replacement and re-encoding it gives the shared copy exactly. The .inp/.out vectors are text and intact.
 */
const BUNDLE = join(REPO_ROOT, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
const CACHE = join(tmpdir(), 'lora-lab-llama-models');

/** `models/<name>` of the bundled llama.cpp source, extracted once into a temporary folder; returns its path. */
export function llamaCppModelFile(name: string): string {
  const path = join(CACHE, name.replaceAll('/', '__'));
  if (existsSync(path)) return path;
  const bytes = execFileSync('git', ['-C', bundleRepo(), 'show', `FETCH_HEAD:models/${name}`], { maxBuffer: 1 << 30 });
  const partial = `${path}.${process.pid}.part`;
  writeFileSync(partial, bytes);
  renameSync(partial, path);
  return path;
}

export function llamaCppVocab(name: 'llama-spm' | 'gpt-2' | 'deepseek-llm' | 'qwen2' | 'llama-bpe'): string {
  return llamaCppModelFile(`ggml-vocab-${name}.gguf`);
}

/** A git repository holding the bundle's commit, fetched once and shared by all test workers and scripts. */
function bundleRepo(): string {
  const repo = join(CACHE, 'git');
  if (existsSync(repo)) return repo;
  if (!existsSync(BUNDLE)) throw new Error(`llama.cpp source bundle missing: ${BUNDLE} (is node-llama-cpp@3.21.1 installed?)`);
  mkdirSync(CACHE, { recursive: true });
  const mine = join(CACHE, `git-${process.pid}`);
  execFileSync('git', ['init', '-q', mine]);
  execFileSync('git', ['-C', mine, 'fetch', '-q', BUNDLE, 'HEAD']);
  try {
    renameSync(mine, repo);
  } catch {
    // Another process got there first; its repository is just as good.
    rmSync(mine, { recursive: true, force: true });
  }
  return repo;
}
