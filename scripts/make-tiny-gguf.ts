/**
 * Writes a small Llama-, Mistral- or Qwen2-shaped GGUF with seeded random weights and a real vocabulary.
 *
 *   node --import tsx scripts/make-tiny-gguf.ts --out /tmp/tiny.gguf [--shape llama|mistral|qwen2]
 *        [--type F32|F16|Q8_0|Q4_0|Q4_K|Q6_K|Q4_K_M] [--embedding-type T] [--output-type T]
 *        [--vocab <file.gguf> | --vocab llama.cpp:<llama-spm|gpt-2|deepseek-llm|qwen2|llama-bpe>]
 *        [--embd N] [--layers N] [--heads N] [--kv-heads N] [--ff N] [--context N] [--seed S]
 *
 * Shapes: llama = as many KV heads as heads; mistral = llama architecture with 4 query heads per KV head;
 * qwen2 = qwen2 architecture (QKV biases, tied embeddings, rope base 1e6). The default vocabulary is
 * stories260K's (512 tokens). `llama.cpp:<name>` takes llama.cpp's own vocab file from the source bundle of the
 * installed node-llama-cpp (the copies in ../shared/data/llama-vocab are damaged, see tests/formats).
 * Q4_K_M is llama.cpp's mix: Q4_K, with Q6_K for `output` and for `attn_v`/`ffn_down` in some layers.
 * Tensors are generated, quantised and written one at a time, so large models need little memory.
 */
import { closeSync, openAsBlob, openSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, flag, numberFlag } from '../src/cli/args';
import { layoutGguf, planTinyModel, readGguf, type TinyModelSpec } from '../src/formats/gguf';
import { quantize, QUANTIZABLE_TYPES, type QuantizableType } from '../src/formats/quant';
import { llamaCppVocab } from './lib/llamaCppVocab';

const DEFAULT_VOCAB = fileURLToPath(new URL('../../shared/data/tiny-models/stories260K.gguf', import.meta.url));

function quantType(value: string | undefined, name: string): QuantizableType | undefined {
  if (value === undefined) return undefined;
  if (!(QUANTIZABLE_TYPES as readonly string[]).includes(value)) {
    throw new Error(`--${name} ${value}: choose one of ${QUANTIZABLE_TYPES.join(', ')}`);
  }
  return value as QuantizableType;
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, {
    values: [
      'out',
      'shape',
      'type',
      'embedding-type',
      'output-type',
      'vocab',
      'embd',
      'layers',
      'heads',
      'kv-heads',
      'ff',
      'context',
      'seed',
    ],
  });
  const out = flag(args, 'out');
  if (!out) throw new Error('--out <path.gguf> is required');
  const shape = flag(args, 'shape') ?? 'llama';
  if (!['llama', 'mistral', 'qwen2'].includes(shape)) throw new Error(`--shape ${shape}: choose llama, mistral or qwen2`);
  const vocabArg = flag(args, 'vocab') ?? DEFAULT_VOCAB;
  const vocabPath = vocabArg.startsWith('llama.cpp:') ? llamaCppVocab(vocabArg.slice(10) as Parameters<typeof llamaCppVocab>[0]) : vocabArg;
  const vocabulary = await readGguf(await openAsBlob(vocabPath), { name: vocabPath });
  const heads = numberFlag(args, 'heads', 4, Number.isInteger);
  const spec: TinyModelSpec = {
    architecture: shape === 'qwen2' ? 'qwen2' : 'llama',
    name: `tiny-${shape}`,
    vocabulary,
    embeddingLength: numberFlag(args, 'embd', 256, Number.isInteger),
    blockCount: numberFlag(args, 'layers', 2, Number.isInteger),
    headCount: heads,
    headCountKv: numberFlag(
      args,
      'kv-heads',
      shape === 'llama' ? heads : shape === 'mistral' ? Math.max(1, heads / 4) : Math.max(1, heads / 2),
      Number.isInteger,
    ),
    feedForwardLength: numberFlag(args, 'ff', 512, Number.isInteger),
    contextLength: numberFlag(args, 'context', 512, Number.isInteger),
    weightType: flag(args, 'type') === 'Q4_K_M' ? 'Q4_K' : (quantType(flag(args, 'type'), 'type') ?? 'Q8_0'),
    mix: flag(args, 'type') === 'Q4_K_M' ? 'Q4_K_M' : undefined,
    embeddingType: quantType(flag(args, 'embedding-type'), 'embedding-type'),
    outputType: quantType(flag(args, 'output-type'), 'output-type'),
    seed: numberFlag(args, 'seed', 1, Number.isInteger),
  };
  const plan = planTinyModel(spec);
  const layout = layoutGguf(plan.metadata, plan.tensors);
  const fd = openSync(out, 'w');
  try {
    writeSync(fd, layout.header);
    let position = layout.header.length;
    for (const [i, tensor] of plan.tensors.entries()) {
      const at = layout.header.length + layout.tensorOffsets[i];
      if (at > position) writeSync(fd, new Uint8Array(at - position));
      const bytes = quantize(tensor.type, tensor.values());
      writeSync(fd, bytes);
      position = at + bytes.length;
      process.stderr.write(`\r${i + 1}/${plan.tensors.length} tensors, ${(position / 2 ** 20).toFixed(1)} MiB`);
    }
  } finally {
    closeSync(fd);
  }
  process.stderr.write(
    `\nwrote ${out}: ${spec.architecture} (${shape}), ${spec.mix ?? spec.weightType}, ${plan.tensors.length} tensors, ${layout.byteLength} bytes\n`,
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`make-tiny-gguf: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
