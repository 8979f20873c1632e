import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * llama.cpp's own vocab-only GGUF files, taken byte-exact from the llama.cpp source bundle that the pinned
 * node-llama-cpp package ships (`node_modules/node-llama-cpp/llama/gitRelease.bundle`).
 *
 * Why not ../shared/data/llama-vocab: those copies went through a text decoder (every invalid UTF-8 byte
 * sequence became EF BF BD), so their binary fields are destroyed; decoding the genuine file as UTF-8 with
 * replacement and re-encoding it gives the shared copy exactly. The .inp/.out vectors are text and intact.
 */
const BUNDLE = join(REPO_ROOT, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');

export function llamaCppVocab(name: 'llama-spm' | 'gpt-2' | 'deepseek-llm' | 'qwen2' | 'llama-bpe'): string {
  if (!existsSync(BUNDLE)) throw new Error(`llama.cpp source bundle missing: ${BUNDLE} (is node-llama-cpp@3.21.1 installed?)`);
  const dir = join(tmpdir(), 'lora-lab-llama-vocab');
  const path = join(dir, `ggml-vocab-${name}.gguf`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const repo = join(dir, `git-${process.pid}`);
  let bytes: Buffer;
  try {
    execFileSync('git', ['init', '-q', repo]);
    execFileSync('git', ['-C', repo, 'fetch', '-q', BUNDLE, 'HEAD']);
    bytes = execFileSync('git', ['-C', repo, 'show', `FETCH_HEAD:models/ggml-vocab-${name}.gguf`], { maxBuffer: 1 << 30 });
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
  const partial = `${path}.${process.pid}.part`;
  writeFileSync(partial, bytes);
  renameSync(partial, path);
  return path;
}
