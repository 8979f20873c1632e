import { describe, expect, it } from 'vitest';
import { benchTable } from '../../bench/benchTable';
import { withPeer, type BenchRow } from '../../bench/harness';
import { joinLlamaCpp } from '../../bench/modelRows';
import type { LlamaCppOutcome } from '../../bench/peers/llamaCppChild';

const prefill: BenchRow = { suite: 'model', case: 'llama-25m Q4_0', metric: 'prefill tok/s (64)', ours: 40 };
const decode: BenchRow = { suite: 'model', case: 'llama-25m Q4_0', metric: 'decode tok/s (16)', ours: 10 };
const REFUSED = 'ggml_vulkan: device Vulkan0 does not support 16-bit storage.; llama_model_load: error loading model: Unsupported device';

describe('peer rows', () => {
  it('a peer with a value gives ours/peer', () => {
    expect(withPeer(prefill, 'llama.cpp cpu', { value: 80 }, 'n')).toEqual({
      ...prefill,
      peer: { name: 'llama.cpp cpu', value: 80 },
      ratio: 0.5,
      note: 'n',
    });
  });

  it('a peer without a value keeps its row, with no ratio and the reason in the JSON', () => {
    const row = withPeer(prefill, 'llama.cpp vulkan', { reason: REFUSED });
    expect(row.ratio).toBeUndefined();
    expect(JSON.parse(JSON.stringify(row)).peer).toEqual({ name: 'llama.cpp vulkan', value: null, reason: REFUSED });
  });

  it('the table prints "no value" and the reason where a peer has none, the value and ratio where it has one', () => {
    const lines = benchTable([withPeer(prefill, 'llama.cpp vulkan', { reason: REFUSED }), withPeer(decode, 'wllama', { value: 20 })]).split(
      '\n',
    );
    expect(lines[2]).toMatch(/llama\.cpp vulkan\s+no value\s+ggml_vulkan: device Vulkan0 does not support 16-bit storage\./);
    expect(lines[2]).not.toMatch(/×/);
    expect(lines[3]).toMatch(/wllama\s+20\.00\s+0\.50×$/);
  });
});

describe('joining llama.cpp to the model suite', () => {
  const vulkan: LlamaCppOutcome = { backend: 'vulkan', device: 'SwiftShader Device (Subzero)', reason: REFUSED };
  const cpu: LlamaCppOutcome = {
    backend: 'cpu',
    device: 'CPU, 2 threads',
    speed: {
      backend: 'cpu',
      device: 'CPU, 2 threads',
      model: 'm.gguf',
      promptTokens: 64,
      prefillTokensPerSecond: 400,
      decodeTokens: 16,
      decodeTokensPerSecond: 50,
    },
  };
  const dispatches: BenchRow = { suite: 'model', case: prefill.case, metric: 'dispatches per decoded token', ours: 84 };
  const wllamaPrefill = withPeer(prefill, 'wllama 3.8.1', { value: 20 });
  const wllamaDecode = withPeer(decode, 'wllama 3.8.1', { reason: 'wllama failed: out of memory' });
  const batch: BenchRow = { suite: 'model-batch', case: prefill.case, metric: 'decode tok/s (batch 4)', ours: 30 };

  it('gives every speed row of ours one row per backend, value or reason, and keeps the other rows as they are', () => {
    const rows = joinLlamaCpp([prefill, decode, dispatches, wllamaPrefill, wllamaDecode, batch], new Map([[prefill.case, [vulkan, cpu]]]));
    expect(rows.map((r) => [r.metric, r.peer?.name, r.peer?.value, r.peer?.reason])).toEqual([
      ['prefill tok/s (64)', 'llama.cpp vulkan (SwiftShader Device (Subzero))', Number.NaN, REFUSED],
      ['prefill tok/s (64)', 'llama.cpp cpu (CPU, 2 threads)', 400, undefined],
      ['prefill tok/s (64)', 'wllama 3.8.1', 20, undefined],
      ['decode tok/s (16)', 'llama.cpp vulkan (SwiftShader Device (Subzero))', Number.NaN, REFUSED],
      ['decode tok/s (16)', 'llama.cpp cpu (CPU, 2 threads)', 50, undefined],
      ['decode tok/s (16)', 'wllama 3.8.1', Number.NaN, 'wllama failed: out of memory'],
      ['dispatches per decoded token', undefined, undefined, undefined],
      ['decode tok/s (batch 4)', undefined, undefined, undefined],
    ]);
    expect(rows[1].ratio).toBe(0.1);
  });

  it('keeps ours alone where llama.cpp was not measured', () => {
    expect(joinLlamaCpp([prefill, dispatches], new Map())).toEqual([prefill, dispatches]);
  });
});
