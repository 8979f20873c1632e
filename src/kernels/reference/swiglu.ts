function sigmoid(g: number): number {
  return 1 / (1 + Math.exp(-g));
}

/** out = silu(gate) · up, in f64. */
export function swigluReference(gate: Float32Array, up: Float32Array): Float32Array {
  return gate.map((g, i) => g * sigmoid(g) * up[i]);
}

/** dgate = dout · up · σ(g)(1 + g(1 − σ(g))), dup = dout · silu(g), in f64. */
export function swigluBackwardReference(
  dout: Float32Array,
  gate: Float32Array,
  up: Float32Array,
): { dgate: Float32Array; dup: Float32Array } {
  const dgate = new Float32Array(gate.length);
  const dup = new Float32Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    const s = sigmoid(gate[i]);
    dup[i] = dout[i] * gate[i] * s;
    dgate[i] = dout[i] * up[i] * s * (1 + gate[i] * (1 - s));
  }
  return { dgate, dup };
}
