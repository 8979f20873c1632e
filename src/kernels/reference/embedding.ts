/** out[t, :] = table[ids[t], :] for a decoded table [nVocab, K]. */
export function embeddingReference(table: Float32Array, K: number, ids: ArrayLike<number>): Float32Array {
  const out = new Float32Array(ids.length * K);
  for (let t = 0; t < ids.length; t++) out.set(table.subarray(ids[t] * K, ids[t] * K + K), t * K);
  return out;
}
