/**
 * The bundled model's pretraining corpus: the train split of the base skills (arithmetic, one-step equations,
 * reading amounts; never word problems), each in the lab's SFT template, half with the evaluation prompt's
 * "Let's think step by step." so the model answers both. Builds the vocabulary from the corpus text, then
 * tokenizes every example with our own tokenizer (the one the lab and the parity tests use), so the Python
 * trainer sees exactly the token ids the lab will.
 *
 * Writes into DIR: vocab.gguf (tokenizer keys only), tokens.bin (u16 ids, examples back to back),
 * targets.bin (u8, 1 where the loss counts), offsets.bin (u32 start of each example, then the end), corpus.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_SKILLS, generateProblems, metaMathRow } from '../../src/data/syntheticMath';
import { sftTrainPrompt } from '../../src/data/sftTemplate';
import { tokenizeExample } from '../../src/data/tokenize';
import { readGguf, writeGguf } from '../../src/formats/gguf';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { seededRandom } from '../../src/util/random';
import { buildVocab, vocabMetadata } from './vocab';

export interface CorpusSpec {
  seed: number;
  perSkill: number;
  merges: number;
}

const EVAL_PREFIX = "Let's think step by step. ";

export async function writeCorpus(dir: string, spec: CorpusSpec): Promise<{ examples: number; tokens: number; vocabSize: number }> {
  const problems = generateProblems({ skills: BASE_SKILLS, split: 'train', perSkill: spec.perSkill, seed: spec.seed, repeats: true });
  const coin = seededRandom(spec.seed ^ 0x51ab);
  const rows = problems.map((p) => {
    const row = metaMathRow(p);
    return { prompt: row.query, response: coin() < 0.5 ? EVAL_PREFIX + row.response : row.response };
  });
  const vocab = buildVocab(
    rows.slice(0, 20_000).map((r) => `${sftTrainPrompt(r.prompt)} ${r.response}`),
    spec.merges,
  );
  const vocabFile = writeGguf(vocabMetadata(vocab), []);
  writeFileSync(join(dir, 'vocab.gguf'), new Uint8Array(await vocabFile.arrayBuffer()));
  const tokenizer = new Tokenizer(vocabFromGguf(await readGguf(vocabFile, { name: 'vocab.gguf' })));
  const special = { bos: 1, eos: 2 };
  const chunks: { tokens: Int32Array; targets: Uint8Array }[] = [];
  let total = 0;
  for (const [row, r] of rows.entries()) {
    const t = tokenizeExample({ kind: 'sft', prompt: r.prompt, response: r.response, shard: 'corpus', row }, tokenizer, special);
    chunks.push(t);
    total += t.tokens.length;
  }
  const tokens = new Uint16Array(total);
  const targets = new Uint8Array(total);
  const offsets = new Uint32Array(chunks.length + 1);
  let at = 0;
  for (const [i, c] of chunks.entries()) {
    offsets[i] = at;
    tokens.set(c.tokens, at);
    targets.set(c.targets, at);
    at += c.tokens.length;
  }
  offsets[chunks.length] = at;
  writeFileSync(join(dir, 'tokens.bin'), tokens);
  writeFileSync(join(dir, 'targets.bin'), targets);
  writeFileSync(join(dir, 'offsets.bin'), offsets);
  const summary = { ...spec, examples: chunks.length, tokens: total, vocabSize: vocab.tokens.length };
  writeFileSync(join(dir, 'corpus.json'), JSON.stringify(summary, null, 2));
  return summary;
}
