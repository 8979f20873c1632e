/** y[r, c] + b[c] for a [rows, n] y. */
export function biasAddReference(y: Float32Array, b: Float32Array, rows: number, n: number): Float32Array {
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) out[r * n + c] = y[r * n + c] + b[c];
  return out;
}
