import type { GgufFile, TinyModelSpec } from '../../src/formats/gguf';

/**
 * The tiny Llama the decode tests run beside stories260K: written by our GGUF writer with stories260K's vocabulary
 * and seeded Q4_0 weights. With random weights it never emits its end-of-sequence token.
 */
export function tinyLlamaSpec(vocabulary: GgufFile, seed: number): TinyModelSpec {
  return {
    architecture: 'llama',
    vocabulary,
    embeddingLength: 128,
    blockCount: 2,
    headCount: 4,
    headCountKv: 2,
    feedForwardLength: 256,
    weightType: 'Q4_0',
    seed,
  };
}
