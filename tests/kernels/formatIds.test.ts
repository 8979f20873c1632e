import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { ggmlType } from '../../src/formats/ggmlTypes';
import { QUANT_FORMATS } from '../../src/kernels/quantWeight';
import { REPO_ROOT } from '../sharedData';

const SHADERS = `${REPO_ROOT}shaders/`;

describe('GGUF format ids in WGSL', () => {
  it('gguf_blocks.wgsl names every format the kernels decode by its ggml type id', () => {
    const source = readFileSync(`${SHADERS}gguf_blocks.wgsl`, 'utf8');
    const named = Object.fromEntries([...source.matchAll(/^const (\w+) = (\d+)u;$/gm)].map(([, name, id]) => [name, Number(id)]));
    expect(named).toEqual(Object.fromEntries(QUANT_FORMATS.map((format) => [format, ggmlType(format).id])));
  });

  it('no shader compares FORMAT with a bare number', () => {
    for (const file of readdirSync(SHADERS).filter((f) => f.endsWith('.wgsl'))) {
      expect(readFileSync(SHADERS + file, 'utf8'), file).not.toMatch(/FORMAT\s*[!=]=\s*\d/);
    }
  });
});
