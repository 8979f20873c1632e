import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContaminationIndex } from '../../src/data/decontaminate';
import { evalItems } from '../../src/data/evalSets';
import { examplesIn, type Example } from '../../src/data/example';
import { packExamples, type PackedRow } from '../../src/data/packing';
import { nestedSubsets, trainValidationSplit } from '../../src/data/sampling';
import { loadShard } from '../../src/data/shard';
import { ShardCollection } from '../../src/data/shardCollection';
import { tokenizeExamples } from '../../src/data/tokenize';
import { prepareTrainingData } from '../../src/train/prepareData';
import { FsStorage } from '../../src/worker/storage/fsStorage';
import { PackedRowsWriter } from '../../src/worker/storage/packedRowsFile';
import { plantedEvalSetText, writePlantedShard, type PlantedShardSpec } from '../../scripts/lib/plantedShard';
import { rowsIn } from '../train/fixtures';
import { WordTokenizer } from './wordTokenizer';

const dir = mkdtempSync(join(tmpdir(), 'lora-lab-streamed-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec: PlantedShardSpec = { rows: 3000, exactDuplicates: 60, nearDuplicates: 60, leaks: 40, evalProblems: 50, seed: 15 };

async function plantedShard() {
  const lines: string[] = [];
  const key = await writePlantedShard(spec, (line) => void lines.push(line));
  return { blob: new Blob(lines), key };
}

/** Every byte of the rows: tokens, targets, segment ids, positions and segment counts, in order. */
function rowBytes(rows: readonly PackedRow[]): Uint8Array {
  const parts = rows.flatMap((r) => [r.tokens, r.targets, r.segmentIds, r.positions, Int32Array.of(r.segments)]);
  return new Uint8Array(Buffer.concat(parts.map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength))));
}

describe('rows kept on disk', () => {
  it('a planted shard cleaned into scratch files keeps exactly the rows that are not planted, and packs them byte for byte as the in-memory path', async () => {
    const { blob, key } = await plantedShard();
    const evalSet = await loadShard(new Blob([plantedEvalSetText(spec)]), 'eval.jsonl');
    const index = new ContaminationIndex();
    index.add(evalItems(evalSet.examples, 'eval.jsonl', evalSet.unit));
    const storage = new FsStorage(dir);
    const collection = new ShardCollection({ contamination: index, scratch: (name) => storage.openScratch(`datasets/c/${name}`) });
    const report = await collection.add(blob, 'planted.jsonl');

    // In memory: every loaded row but the planted ones.
    const planted = new Set([...key.exact, ...key.near, ...key.leaks].map((p) => p.line));
    const expected = (await loadShard(blob, 'planted.jsonl')).examples.filter((e) => !planted.has(e.row));
    const kept = collection.examples();
    expect(report.duplicates.exact).toBe(spec.exactDuplicates);
    expect(report.duplicates.near).toBe(spec.nearDuplicates);
    expect(report.contaminated.count).toBe(spec.leaks);
    expect([...examplesIn(kept)]).toEqual(expected);
    expect(kept.at(1234)).toEqual(expected[1234]); // read out of order: just its record

    // The in-memory path: split, subset and pack arrays of examples; the streamed one writes a data file.
    const tok = new WordTokenizer();
    const options = { seqLen: 192, seed: 9, validationFraction: 0.05 };
    const { train, validation } = trainValidationSplit(expected, options.validationFraction, options.seed);
    const [shuffled] = nestedSubsets(train, [train.length], options.seed + 1);
    const inMemory = (examples: Example[]) =>
      packExamples(tokenizeExamples(examples, tok, tok.special, { maxTokens: 192 }).examples, 192, tok.special.eos).rows;
    const file = await storage.openScratch('runs/r/data.bin');
    const tokenizer = { encode: (text: string) => tok.encode(text), bosId: tok.special.bos, eosId: tok.special.eos };
    const streamed = prepareTrainingData(kept, tokenizer, options, new PackedRowsWriter(file, 192));
    expect(streamed.train.length).toBeGreaterThan(100);
    expect(rowBytes(rowsIn(streamed.train))).toEqual(rowBytes(inMemory(shuffled)));
    expect(rowBytes(rowsIn(streamed.validation))).toEqual(rowBytes(inMemory(validation)));
    file.close();
    collection.close();
  });
});
