/**
 * The 12-byte packed scales of Q4_K and Q5_K: eight 6-bit scales sc[0..7] and eight 6-bit mins m[0..7],
 * one pair per 32-value sub-block.
 *
 *   bytes 0..3   low 6 bits: sc[0..3]      top 2 bits: high bits (5:4) of sc[4..7]
 *   bytes 4..7   low 6 bits: m[0..3]       top 2 bits: high bits (5:4) of m[4..7]
 *   bytes 8..11  low nibble: low 4 bits of sc[4..7]   high nibble: low 4 bits of m[4..7]
 *
 * So for j < 4: sc = b[j] & 63, m = b[j + 4] & 63;
 *    for j ≥ 4: sc = (b[j + 4] & 15) | ((b[j - 4] >> 6) << 4), m = (b[j + 4] >> 4) | ((b[j] >> 6) << 4).
 */
export function unpackScaleMin(scales: Uint8Array, at: number, j: number): { sc: number; m: number } {
  if (j < 4) return { sc: scales[at + j] & 63, m: scales[at + j + 4] & 63 };
  return {
    sc: (scales[at + j + 4] & 0x0f) | ((scales[at + j - 4] >> 6) << 4),
    m: (scales[at + j + 4] >> 4) | ((scales[at + j] >> 6) << 4),
  };
}

/** Writes the twelve bytes at `at` from eight 6-bit scales and mins. */
export function packScaleMin(out: Uint8Array, at: number, sc: ArrayLike<number>, m: ArrayLike<number>): void {
  for (let k = 0; k < 12; k++) out[at + k] = 0;
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      out[at + j] |= sc[j];
      out[at + j + 4] |= m[j];
    } else {
      out[at + j + 4] = (sc[j] & 0x0f) | ((m[j] & 0x0f) << 4);
      out[at + j - 4] |= (sc[j] >> 4) << 6;
      out[at + j] |= (m[j] >> 4) << 6;
    }
  }
}
