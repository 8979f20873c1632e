import type { Binding, Recorder } from '../gpu/recorder';
import { ceilDiv } from '../gpu/grid';
import { uniformLayout } from '../gpu/uniforms';
import { partBinding, type QuantizedWeight } from './quantWeight';

const WG = 64;

export const EMBEDDING_PARAMS = uniformLayout('embedding', {
  tokens: 'u32',
  tokenStart: 'u32',
  K: 'u32',
  rowBytes: 'u32',
  rowStart: 'u32',
  rows: 'u32',
});

/**
 * Records out[t, :] = table[ids[t], :] for t < tokens, dequantising rows of a `token_embd` table in its GGUF
 * layout (dims [n_embd, n_vocab]: one row per token id) into f32 activations [tokens, n_embd].
 * One dispatch per table part and per 65535 tokens; ids must be below n_vocab.
 */
export function embeddingLookup(rec: Recorder, ids: Binding, table: QuantizedWeight, out: Binding, options: { tokens: number }): void {
  const { tokens } = options;
  const maxGroups = rec.gpu.limits.maxComputeWorkgroupsPerDimension;
  for (const part of table.parts) {
    for (let tokenStart = 0; tokenStart < tokens; tokenStart += maxGroups) {
      const params = EMBEDDING_PARAMS.pack({
        tokens,
        tokenStart,
        K: table.K,
        rowBytes: table.rowBytes,
        rowStart: part.rowStart,
        rows: part.rows,
      });
      rec.dispatch(
        { shader: 'embedding', constants: { FORMAT: table.formatId, WG } },
        [ids, partBinding(table, part), out],
        [ceilDiv(table.K, 8 * WG), Math.min(maxGroups, tokens - tokenStart)],
        params,
      );
    }
  }
}
