/**
 * The bundled model's recipe, end to end: corpus and vocabulary (corpus.ts), pretraining on the CPU with
 * PyTorch (pretrain.py; Debian: `apt-get install python3-torch libopenblas0-pthread`), the GGUF (write-model.ts),
 * then models/tiny-math.json recording the recipe, the corpus, the training and the file's size and SHA-256.
 *
 *   node --import tsx scripts/tiny-math/make.ts [--work DIR] [--python /usr/bin/python3] [--reuse-weights]
 *
 * --reuse-weights skips pretraining when DIR/weights already holds what pretrain.py wrote for this recipe.
 * PyTorch runs on one thread: the result then depends only on the recipe and the CPU's floating-point kernels.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, parseArgs } from '../../src/cli/args';
import { writeCorpus } from './corpus';
import { MODEL_PATH, RECIPE, RECORD_PATH } from './recipe';
import { writeModel } from './write-model';

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, { values: ['work', 'python'], switches: ['reuse-weights'] });
  const work = flag(args, 'work') ?? join(tmpdir(), 'tiny-math');
  const corpusDir = join(work, 'corpus');
  const weightsDir = join(work, 'weights');
  mkdirSync(corpusDir, { recursive: true });
  const corpus = await writeCorpus(corpusDir, RECIPE.corpus);
  console.log(`corpus: ${corpus.examples} examples, ${corpus.tokens} tokens, vocabulary ${corpus.vocabSize}`);
  const p = RECIPE.pretrain;
  const trainer = fileURLToPath(new URL('./pretrain.py', import.meta.url));
  const options = {
    dim: p.dim,
    layers: p.layers,
    heads: p.heads,
    'kv-heads': p.kvHeads,
    ff: p.ff,
    context: p.context,
    steps: p.steps,
    batch: p.batch,
    lr: p.lr,
    warmup: p.warmup,
    seed: p.seed,
    threads: 1,
  };
  const pyArgs = [trainer, '--data', corpusDir, '--out', weightsDir, ...Object.entries(options).flatMap(([k, v]) => [`--${k}`, String(v)])];
  if (!(args.flags.has('reuse-weights') && existsSync(join(weightsDir, 'weights.json')))) {
    const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
    const run = spawnSync(flag(args, 'python') ?? 'python3', pyArgs, { stdio: 'inherit', env });
    if (run.status !== 0) throw new Error(`pretrain.py failed (exit ${run.status ?? run.signal})`);
  }
  const out = fileURLToPath(MODEL_PATH);
  const trained = await writeModel(corpusDir, weightsDir, out, RECIPE.name);
  const bytes = readFileSync(out);
  const record = {
    recipe: RECIPE,
    corpus,
    training: trained.training,
    file: { name: 'tiny-math.gguf', bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
  };
  writeFileSync(fileURLToPath(RECORD_PATH), JSON.stringify(record, null, 2) + '\n');
  console.log(`wrote ${out}: ${bytes.length} bytes, sha256 ${record.file.sha256}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`make: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
