import type { BenchContext, BenchRow, BenchSuite } from '../harness';
import type { TrackedBuffer } from '../../src/gpu/allocator';
import { attentionForward } from '../../src/kernels/attention';
import { attentionBackward } from '../../src/kernels/attentionBackward';
import type { Binding, Recorder } from '../../src/gpu/recorder';
import { attentionDecode, attentionDecodeQuantizes, attentionDecodeScratchBytes } from '../../src/kernels/attentionDecode';
import { quantizeActivations, quantizedActivationBytes } from '../../src/kernels/quantizeActivations';
import { naiveAttentionBackward, naiveAttentionForward } from '../../src/kernels/attentionNaive';
import { randomF32 } from '../../src/util/random';
import { STORED_PRECISIONS, storedBytes } from '../../src/kernels/storedValues';
import { packF16PairsReference } from '../../src/kernels/reference/storedValues';

interface Case {
  seq: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
}

// Quick default: the stories260K training shape (one 48-token row, 8 heads on 4 KV heads of dim 8: the CPU tiling's
// case) and part of a Mistral-7B layer (head dim 128, 4 query heads per KV head): 8/2 heads at seq 512, one KV
// group (4/1) at seq 2048, because a software adapter takes minutes per seq-2048 pass. Heads are independent work,
// so GFLOP/s carry over to the full layer: `VITE_ATTENTION_BENCH="512/32/8/128,2048/32/8/128" npm run bench --
// attention` runs it (cases are seq/nHeads/nKvHeads/headDim, comma-separated, read at build time).
const DEFAULT_CASES = '48/8/4/8,512/8/2/128,2048/4/1/128';

function cases(): Case[] {
  const spec: string = import.meta.env.VITE_ATTENTION_BENCH ?? DEFAULT_CASES;
  return spec.split(',').map((c) => {
    const [seq, nHeads, nKvHeads, headDim] = c.split('/').map(Number);
    return { seq, nHeads, nKvHeads, headDim };
  });
}

/**
 * Useful causal FLOPs: each of the seq·(seq+1)/2 visible (query, key) pairs per head costs 2·d for q·k and 2·d for
 * p·v in the forward; the backward's useful work is the four products dV, dP, dQ, dK (8·d per pair; the flash
 * kernels' recomputation of q·k is overhead, not counted).
 */
function causalPairs(c: Case): number {
  return (c.nHeads * (c.seq * (c.seq + 1))) / 2;
}

async function benchCase(ctx: BenchContext, c: Case): Promise<BenchRow[]> {
  const { gpu } = ctx;
  const shape = { qLen: c.seq, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim };
  const qCount = c.seq * c.nHeads * c.headDim;
  const kvCount = c.seq * c.nKvHeads * c.headDim;
  const owned: TrackedBuffer[] = [];
  const upload = (n: number, seed: number) => {
    const t = gpu.upload(randomF32(n, seed), { label: 'bench attention', category: 'scratch' });
    owned.push(t);
    return t;
  };
  const alloc = (bytes: number) => {
    const t = gpu.alloc(bytes, { label: 'bench attention', category: 'scratch' });
    owned.push(t);
    return t;
  };
  const iterations = c.seq >= 2048 ? 1 : 3;
  const name = `seq ${c.seq}, ${c.nHeads}/${c.nKvHeads} heads, d ${c.headDim}`;
  const rows: BenchRow[] = [];
  try {
    const q = upload(qCount, 1);
    const k = upload(kvCount, 2);
    const v = upload(kvCount, 3);
    const dOut = upload(qCount, 4);
    const out = alloc(qCount * 4);
    const lse = alloc(c.nHeads * c.seq * 4);
    const rowDot = alloc(c.nHeads * c.seq * 4);
    const [dq, dk, dv] = [alloc(qCount * 4), alloc(kvCount * 4), alloc(kvCount * 4)];
    const flashFwdMs = await ctx.gpuTimeMs((rec) => attentionForward(rec, { q, k, v, out, lse }, shape), { iterations });
    const flashBwdMs = await ctx.gpuTimeMs((rec) => attentionBackward(rec, { q, k, v, out, lse, dOut, rowDot, dq, dk, dv }, shape), {
      iterations,
    });

    const naive = { heads: c.nHeads, seq: c.seq, headDim: c.headDim };
    const hq = upload(qCount, 5);
    const hk = upload(qCount, 6);
    const hv = upload(qCount, 7);
    const hdOut = upload(qCount, 8);
    const probs = alloc(c.nHeads * c.seq * c.seq * 4);
    const dScores = alloc(c.nHeads * c.seq * c.seq * 4);
    const [hout, hdq, hdk, hdv] = [alloc(qCount * 4), alloc(qCount * 4), alloc(qCount * 4), alloc(qCount * 4)];
    const naiveFwdMs = await ctx.gpuTimeMs((rec) => naiveAttentionForward(rec, { q: hq, k: hk, v: hv, probs, out: hout }, naive), {
      iterations,
    });
    const naiveBwdMs = await ctx.gpuTimeMs(
      (rec) => naiveAttentionBackward(rec, { q: hq, k: hk, v: hv, probs, dOut: hdOut, dScores, dq: hdq, dk: hdk, dv: hdv }, naive),
      { iterations },
    );

    const fwdGflop = (4 * c.headDim * causalPairs(c)) / 1e9;
    const bwdGflop = 2 * fwdGflop;
    const peerName = 'materialised scores (tiled matmul + softmax)';
    for (const [pass, gflop, oursMs, peerMs] of [
      ['forward', fwdGflop, flashFwdMs, naiveFwdMs],
      ['backward', bwdGflop, flashBwdMs, naiveBwdMs],
    ] as const) {
      const ours = gflop / (oursMs / 1e3);
      const peer = gflop / (peerMs / 1e3);
      ctx.log(
        `attention ${pass} ${name}: flash ${ours.toFixed(2)} GFLOP/s (${oursMs.toFixed(2)} ms), naive ${peer.toFixed(2)} GFLOP/s (${peerMs.toFixed(2)} ms)`,
      );
      rows.push({
        suite: 'attention',
        case: `${pass} f32 ${name}`,
        metric: 'GFLOP/s (causal)',
        ours,
        peer: { name: peerName, value: peer },
        ratio: ours / peer,
      });
    }

    // Decode: one token against a cache of `seq` positions, stored in each precision; bandwidth-bound, so effective
    // GB/s of K and V read, and time per step (the f16 pairs' gain is the time ratio of the two rows).
    const decodeShape = { kvLen: c.seq, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim };
    const partials = alloc(attentionDecodeScratchBytes(decodeShape));
    const decodeOut = alloc(c.nHeads * c.headDim * 4);
    const K = c.nHeads * c.headDim;
    const decodeXq = alloc(quantizedActivationBytes(1, K));
    for (const kvStorage of STORED_PRECISIONS) {
      const stored = (seed: number) => {
        const values = randomF32(kvCount, seed);
        const t = gpu.upload(kvStorage === 'f32' ? values : packF16PairsReference(values), {
          label: 'bench attention',
          category: 'scratch',
        });
        owned.push(t);
        return t;
      };
      const cacheK = stored(9);
      const cacheV = stored(10);
      const decode = (rec: Recorder, quantizedOut?: Binding) =>
        attentionDecode(rec, { q, k: cacheK, v: cacheV, partials, out: decodeOut, quantizedOut }, decodeShape, {
          kvLayout: { kind: 'cache', maxCtx: c.seq },
          kvStorage,
        });
      const decodeMs = await ctx.gpuTimeMs((rec) => decode(rec), { iterations: 5 });
      const gb = (2 * storedBytes(kvCount, kvStorage)) / 1e9;
      const decodeCase = `decode ${kvStorage} cache ${c.seq}, ${c.nHeads}/${c.nKvHeads} heads, d ${c.headDim}`;
      ctx.log(`attention decode ${kvStorage} cache ${c.seq}: ${decodeMs.toFixed(3)} ms`);
      rows.push({ suite: 'attention', case: decodeCase, metric: 'GB/s (K+V)', ours: gb / (decodeMs / 1e3) });
      if (!attentionDecodeQuantizes(decodeShape)) continue;
      // The o-projection's 8-bit input (CPU adapters' integer dot products): quantized by the decode's own last
      // dispatch, against the quantize_activations dispatch after it that this replaces. Kernel time only: the
      // launch of the dispatch saved is not in it.
      const separateMs = await ctx.gpuTimeMs(
        (rec) => {
          decode(rec);
          quantizeActivations(rec, decodeOut, decodeXq, { M: 1, K }, { label: 'bench attention' });
        },
        { iterations: 5 },
      );
      const fusedMs = await ctx.gpuTimeMs((rec) => decode(rec, decodeXq), { iterations: 5 });
      ctx.log(
        `attention decode ${kvStorage} cache ${c.seq} with 8-bit output: ${fusedMs.toFixed(3)} ms; decode, then quantize_activations: ${separateMs.toFixed(3)} ms`,
      );
      rows.push({
        suite: 'attention',
        case: `${decodeCase}, 8-bit output`,
        metric: 'GB/s (K+V)',
        ours: gb / (fusedMs / 1e3),
        peer: { name: 'decode, then quantize_activations', value: gb / (separateMs / 1e3) },
        ratio: separateMs / fusedMs,
      });
    }
  } finally {
    for (const t of owned) gpu.buffers.free(t);
  }
  return rows;
}

/** Flash-style attention forward/backward against the materialised-scores path, plus split-K decode bandwidth. */
export const suite: BenchSuite = {
  name: 'attention',
  async run(ctx) {
    const rows: BenchRow[] = [];
    for (const c of cases()) rows.push(...(await benchCase(ctx, c)));
    return rows;
  },
};
