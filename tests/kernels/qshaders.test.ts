import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// WGSL has no includes, so each quantized kernel carries its own copy of the block decoders. The copies must
// not drift apart: the bit-exact tests of one kernel then vouch for the decoding of all of them.
const SHADERS = ['qmatvec', 'qmatmul', 'qmatmul_backward', 'embedding'];
const BEGIN = '// ---- begin GGUF block decoding';
const END = '// ---- end GGUF block decoding ----';

function decoderSection(name: string): string {
  const source = readFileSync(new URL(`../../shaders/${name}.wgsl`, import.meta.url), 'utf8');
  const start = source.indexOf(BEGIN);
  const end = source.indexOf(END);
  expect(start, `${name}.wgsl has the decoding section`).toBeGreaterThanOrEqual(0);
  expect(end, `${name}.wgsl ends the decoding section`).toBeGreaterThan(start);
  return source.slice(start, end);
}

describe('quantized shaders', () => {
  it('share one identical copy of the GGUF block decoders', () => {
    const first = decoderSection(SHADERS[0]);
    for (const name of SHADERS.slice(1)) expect(decoderSection(name), `${name}.wgsl vs ${SHADERS[0]}.wgsl`).toBe(first);
  });
});
