import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { copyFileSync, mkdtempSync, openAsBlob, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';
import { openFileSource } from '../../src/formats/nodeFileSource';
import { Model } from '../../src/model/model';
import { generate } from '../../src/model/generate';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';

vi.setConfig({ testTimeout: 120_000 });

const STORIES = sharedData('tiny-models', 'stories260K.gguf');
const FOUR_GIB = 2 ** 32;

/**
 * Model.load reads a ByteSource as well as a Blob: the CLI opens models with `openFileSource`, because Node 20's
 * `fs.openAsBlob` reports the size of a file over 4 GiB modulo 2^32 and every 7B GGUF is that large. A sparse copy
 * of stories260K grown past 4 GiB (trailing bytes the GGUF never points at; no disk is used for the hole) stands in
 * for such a file.
 */
describe('Model.load from a ByteSource', () => {
  let dir: string;
  let large: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lora-lab-bytesource-'));
    large = join(dir, 'stories260K-past-4GiB.gguf');
    copyFileSync(STORIES, large);
    truncateSync(large, FOUR_GIB + 4096);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a file over 4 GiB and generates what the same model loaded from a Blob generates', async () => {
    const gpu = await testGpu();
    expect(statSync(large).size).toBe(FOUR_GIB + 4096);
    const source = await openFileSource(large);
    expect(source.size).toBe(FOUR_GIB + 4096);
    const fromSource = await Model.load(gpu, source, { maxContext: 64 });
    const fromBlob = await Model.load(gpu, await openAsBlob(STORIES), { maxContext: 64 });
    try {
      const tokenizer = new Tokenizer(vocabFromGguf(fromBlob.file));
      const options = { maxTokens: 8, temperature: 0 };
      const expected = await generate(fromBlob, tokenizer, 'Once upon a time', options);
      expect((await generate(fromSource, tokenizer, 'Once upon a time', options)).tokens).toEqual(expected.tokens);
      expect(fromSource.config).toEqual(fromBlob.config);
    } finally {
      fromSource.free();
      fromBlob.free();
    }
  });
});
