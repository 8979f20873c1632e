import { withPeer, type BenchRow, type BenchSuite } from '../harness';
import { Model, type StepDispatches } from '../../src/model/model';
import { timePrefillAndDecode, type ModelTiming } from '../modelTiming';
import { measureWllama } from '../peers/wllama';
import { benchTokens, speedMetric, STAGED_MODELS_URL, type StagedModel } from '../modelInputs';

/**
 * Whole-model speed in the browser: prefill and greedy-decode tokens/s of each model `bench/modelBench.ts`
 * staged under /bench-inputs/ (stories260K, the ~25M and ~500M synthetic Llamas and, with --with-7b, the 7B-shaped
 * one), loaded from the served file like a dropped one, with the token counts its listing entry names. wllama runs
 * in the same page on the same files; the llama.cpp peers (CPU and Vulkan, Node-side) are measured by
 * modelBench.ts with the same counts and joined to these rows there.
 */

/**
 * A served file read on demand with HTTP Range requests: `fetch(url).blob()` of the 3.9 GB 7B-shaped file fails
 * ('Failed to fetch') in the bench page, while the loader only ever needs `size` and `slice(..).arrayBuffer()`.
 */
class ServedFile extends Blob {
  constructor(
    private readonly url: string,
    private readonly start: number,
    private readonly end: number,
  ) {
    super([]);
  }

  static async open(url: string): Promise<ServedFile> {
    const head = await fetch(url, { method: 'HEAD' });
    const bytes = Number(head.headers.get('content-length'));
    if (!head.ok || !Number.isFinite(bytes))
      throw new Error(`model: HEAD ${url} gave status ${head.status}, no content-length: is it staged?`);
    return new ServedFile(url, 0, bytes);
  }

  override get size(): number {
    return this.end - this.start;
  }

  override slice(from = 0, to = this.size): Blob {
    return new ServedFile(this.url, this.start + from, this.start + Math.min(to, this.size));
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const response = await fetch(this.url, { headers: { Range: `bytes=${this.start}-${this.end - 1}` } });
    if (response.status !== 206)
      throw new Error(`model: range ${this.start}-${this.end - 1} of ${this.url} gave status ${response.status}, not 206`);
    return response.arrayBuffer();
  }
}

/** Above this a staged file is read by ranges (ServedFile) rather than fetched whole into a Blob. */
const WHOLE_FETCH_MAX_BYTES = 2 ** 30;

async function openStaged(url: string): Promise<Blob> {
  const served = await ServedFile.open(url);
  return served.size > WHOLE_FETCH_MAX_BYTES ? served : (await fetch(url)).blob();
}

/** Dispatches of one step (a whole prefill chunk or one decoded token, sampling included) and of one layer in it. */
function dispatchRows(name: string, step: string, d: StepDispatches | undefined): BenchRow[] {
  if (!d) return [];
  const perLayer = Math.max(...d.perBlock);
  const note = `${d.tokens} token${d.tokens === 1 ? '' : 's'}, ${d.perBlock.length} layers`;
  return [
    { suite: 'model', case: name, metric: `dispatches per ${step}`, ours: d.total, note },
    { suite: 'model', case: name, metric: `dispatches per layer per ${step}`, ours: perLayer, note },
  ];
}

export const suite: BenchSuite = {
  name: 'model',
  async run(ctx) {
    const listing = await fetch(STAGED_MODELS_URL);
    if (!listing.ok) {
      ctx.log('model: no staged models at /bench-inputs/models.json; run `node --import tsx bench/modelBench.ts`, which stages them');
      return [];
    }
    const models = (await listing.json()) as StagedModel[];
    const rows: BenchRow[] = [];
    for (const staged of models) {
      const { prefillTokens, decodeTokens } = staged;
      const blob = await openStaged(staged.url);
      const loadStart = performance.now();
      const model = await Model.load(ctx.gpu, blob, { maxContext: prefillTokens + decodeTokens + 8, maxStepTokens: prefillTokens });
      const loadSeconds = (performance.now() - loadStart) / 1000;
      let timing: ModelTiming;
      try {
        timing = await timePrefillAndDecode(model, benchTokens(prefillTokens), decodeTokens);
      } finally {
        model.free();
      }
      const { prefillTokensPerSecond: prefill, decodeTokensPerSecond: decode, prefillDispatches, decodeDispatches } = timing;
      ctx.log(
        `model ${staged.name}: load ${loadSeconds.toFixed(1)} s, prefill ${prefill.toFixed(2)} tok/s, decode ${decode.toFixed(2)} tok/s`,
      );
      const prefillRow = { suite: 'model', case: staged.name, metric: speedMetric('prefill', prefillTokens), ours: prefill };
      const decodeRow = { suite: 'model', case: staged.name, metric: speedMetric('decode', decodeTokens), ours: decode };
      rows.push(
        prefillRow,
        decodeRow,
        ...dispatchRows(staged.name, 'prefill chunk', prefillDispatches),
        ...dispatchRows(staged.name, 'decoded token', decodeDispatches),
      );
      const peer = 'wllama 3.8.1';
      try {
        // wllama copies its Blob (structured clone keeps no subclass), so a ServedFile reaches it as empty bytes.
        if (blob instanceof ServedFile)
          throw new Error(`not run: ${blob.size} bytes could not be fetched whole into a Blob in the page, and wllama needs one`);
        const w = await measureWllama(blob, prefillTokens, decodeTokens);
        ctx.log(
          `wllama ${staged.name}: prefill ${w.prefillTokensPerSecond.toFixed(2)} tok/s (${w.promptTokens}), decode ${w.decodeTokensPerSecond.toFixed(2)} tok/s; ${w.backend}`,
        );
        const note = `${w.backend}; its prompt ${w.promptTokens} tokens, ${w.decodeTokens} decoded; ${w.barredTokens} tokens that are not whole UTF-8 barred`;
        rows.push(
          withPeer(prefillRow, peer, { value: w.prefillTokensPerSecond }, note),
          withPeer(decodeRow, peer, { value: w.decodeTokensPerSecond }, note),
        );
      } catch (error) {
        // A 3.9 GB model may not fit wasm32's 4 GiB address space: the row says why instead of a ratio.
        const reason = `wllama failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300);
        ctx.log(`${staged.name}: ${reason}`);
        rows.push(withPeer(prefillRow, peer, { reason }), withPeer(decodeRow, peer, { reason }));
      }
    }
    return rows;
  },
};
