/**
 * Shard streaming benchmark (not a CI test: it writes and reads gigabytes). Generates a JSONL file and a
 * Parquet file of about `--mb` megabytes each in a temporary directory, then reads each with the lab's loader
 * (`scanShard`: reader, validation, normalisation, no rows retained) in a child Node process limited to a
 * 256 MB old-space heap, and reports throughput (rows/s, MB/s) and the peak JS heap sampled during the read.
 *
 *   node --import tsx bench/data/streamBench.ts [--mb 1024] [--formats jsonl,parquet,json,gzip] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openAsBlob, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { scanShard } from '../../src/data/shard';
import { makeSampleRows } from '../../scripts/make-sample-shard';
import { seededRandom } from '../../src/util/random';
import { ParquetEncoder } from '../../tests/data/parquetEncoder';

const HEAP_LIMIT_MB = 256;
const SEED = 7;
const THIS_FILE = fileURLToPath(import.meta.url);

function argValue(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

/** Rows shaped like MetaMathQA, ~600 bytes each: the sample shard's templates plus a seeded filler sentence. */
function* benchRows(seed: number): Generator<Record<string, string>> {
  const base = makeSampleRows();
  const next = seededRandom(seed);
  for (let i = 0; ; i++) {
    const row = base[i % base.length];
    const filler = Array.from({ length: 12 + Math.floor(next() * 30) }, () => Math.floor(next() * 1e6).toString(36)).join(' ');
    yield { ...row, query: `${row.query} (variant ${i}: ${filler})` };
  }
}

function writeJsonl(path: string, bytes: number): number {
  const fd = openSync(path, 'w');
  let written = 0;
  let rows = 0;
  let buffer: string[] = [];
  let pending = 0;
  for (const row of benchRows(SEED)) {
    const line = JSON.stringify(row) + '\n';
    buffer.push(line);
    pending += line.length;
    rows++;
    if (pending >= 4 << 20 || written + pending >= bytes) {
      written += writeSync(fd, buffer.join(''));
      buffer = [];
      pending = 0;
      if (written >= bytes) break;
    }
  }
  closeSync(fd);
  return rows;
}

function writeJsonArray(path: string, bytes: number): number {
  const fd = openSync(path, 'w');
  let written = writeSync(fd, '[\n');
  let rows = 0;
  let buffer: string[] = [];
  for (const row of benchRows(SEED)) {
    buffer.push((rows === 0 ? '' : ',\n') + JSON.stringify(row));
    rows++;
    if (buffer.length >= 5000) {
      written += writeSync(fd, buffer.join(''));
      buffer = [];
      if (written >= bytes) break;
    }
  }
  writeSync(fd, buffer.join('') + '\n]\n');
  closeSync(fd);
  return rows;
}

function writeParquet(path: string, bytes: number, rowsPerGroup = 20_000): number {
  const encoder = new ParquetEncoder(['query', 'response', 'type', 'original_question'].map((name) => ({ name, kind: 'string' as const })));
  const fd = openSync(path, 'w');
  let written = writeSync(fd, encoder.start());
  let rows = 0;
  const source = benchRows(SEED);
  while (written < bytes) {
    const group = Array.from({ length: rowsPerGroup }, () => source.next().value as Record<string, string>);
    written += writeSync(fd, encoder.rowGroup(group));
    rows += group.length;
  }
  writeSync(fd, encoder.finish());
  closeSync(fd);
  return rows;
}

interface ReadResult {
  rows: number;
  bad: number;
  seconds: number;
  peakHeapMB: number;
  peakRssMB: number;
}

/** Runs in the heap-limited child: read the file once, sampling the heap as progress arrives. */
async function readOnce(path: string): Promise<ReadResult> {
  let peakHeap = 0;
  let peakRss = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  };
  const timer = setInterval(sample, 50);
  let rows = 0;
  const start = performance.now();
  const scan = await scanShard(
    await openAsBlob(path),
    path,
    () => {
      if (++rows % 10_000 === 0) sample();
    },
    { onProgress: sample },
  );
  const seconds = (performance.now() - start) / 1000;
  clearInterval(timer);
  sample();
  return { rows: scan.rowsLoaded, bad: scan.badCount, seconds, peakHeapMB: peakHeap / 2 ** 20, peakRssMB: peakRss / 2 ** 20 };
}

async function parent(): Promise<void> {
  const mb = Number(argValue('mb', '1024'));
  const formats = argValue('formats', 'jsonl,parquet').split(',');
  const dir = mkdtempSync(join(tmpdir(), 'lora-lab-stream-bench-'));
  console.log(`# shard streaming benchmark: ${mb} MB per file, heap limit ${HEAP_LIMIT_MB} MB, node ${process.version}, files in ${dir}`);
  try {
    for (const format of formats) {
      const path = join(
        dir,
        { jsonl: 'bench.jsonl', json: 'bench.json', parquet: 'bench.parquet', gzip: 'bench.jsonl.gz' }[format] ?? format,
      );
      const t0 = performance.now();
      let rows: number;
      if (format === 'jsonl') rows = writeJsonl(path, mb << 20);
      else if (format === 'json') rows = writeJsonArray(path, mb << 20);
      else if (format === 'parquet') rows = writeParquet(path, mb << 20);
      else if (format === 'gzip') {
        rows = writeJsonl(`${path}.src`, mb << 20);
        await pipeline(createReadStream(`${path}.src`), createGzip(), createWriteStream(path));
        rmSync(`${path}.src`);
      } else throw new Error(`unknown format ${format}`);
      const fileMB = statSync(path).size / 2 ** 20;
      console.log(`${format}: wrote ${rows} rows, ${fileMB.toFixed(0)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const child = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_LIMIT_MB}`, '--import', 'tsx', THIS_FILE, '--read', path], {
        encoding: 'utf8',
      });
      if (child.status !== 0) throw new Error(`${format} read failed (exit ${child.status}):\n${child.stderr}`);
      const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as ReadResult;
      if (r.rows !== rows) throw new Error(`${format}: read ${r.rows} rows, wrote ${rows}`);
      console.log(
        `${format}: read ${r.rows} rows (${r.bad} bad) in ${r.seconds.toFixed(1)} s = ${(r.rows / r.seconds).toFixed(0)} rows/s, ` +
          `${(fileMB / r.seconds).toFixed(1)} MB/s (file bytes); peak JS heap ${r.peakHeapMB.toFixed(0)} MB, peak RSS ${r.peakRssMB.toFixed(0)} MB`,
      );
      if (!process.argv.includes('--keep')) rmSync(path);
    }
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--read')) console.log(JSON.stringify(await readOnce(argValue('read', ''))));
else await parent();
