/** Per-row loss and log-sum-exp of logits [rows, vocab] against labels [rows] (masked: < 0 or ≥ vocab), in f64. */
export function crossEntropyReference(logits: Float32Array, labels: Int32Array, vocab: number): { loss: Float32Array; lse: Float32Array } {
  const rows = labels.length;
  const loss = new Float32Array(rows);
  const lse = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < vocab; j++) m = Math.max(m, logits[r * vocab + j]);
    let s = 0;
    for (let j = 0; j < vocab; j++) s += Math.exp(logits[r * vocab + j] - m);
    const l = m + Math.log(s);
    lse[r] = l;
    const label = labels[r];
    loss[r] = label >= 0 && label < vocab ? l - logits[r * vocab + label] : 0;
  }
  return { loss, lse };
}

/** dlogits = scale · (softmax − onehot), zero rows where masked, in f64. */
export function crossEntropyBackwardReference(logits: Float32Array, labels: Int32Array, vocab: number, scale: number): Float32Array {
  const { lse } = crossEntropyReference(logits, labels, vocab);
  const grad = new Float32Array(logits.length);
  for (let r = 0; r < labels.length; r++) {
    const label = labels[r];
    if (label < 0 || label >= vocab) continue;
    for (let j = 0; j < vocab; j++) {
      grad[r * vocab + j] = scale * (Math.exp(logits[r * vocab + j] - lse[r]) - (j === label ? 1 : 0));
    }
  }
  return grad;
}

/** Mean loss over unmasked tokens (0 when none), as the batch loss is reported. */
export function meanLossReference(loss: Float32Array, labels: Int32Array, vocab: number): { mean: number; count: number } {
  let sum = 0;
  let count = 0;
  labels.forEach((label, t) => {
    if (label >= 0 && label < vocab) {
      sum += loss[t];
      count++;
    }
  });
  return { mean: count ? sum / count : 0, count };
}
