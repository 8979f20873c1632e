import { beforeAll, describe, expect, it } from 'vitest';
import { openAsBlob } from 'node:fs';
import { Engine } from '../../src/worker/engine';
import { openFileSource } from '../../src/formats/nodeFileSource';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';

let engine: Engine;
let stories: Blob;

beforeAll(async () => {
  engine = new Engine(testGpu);
  await engine.init();
  stories = await openAsBlob(sharedData('tiny-models', 'stories260K.gguf'));
});

describe('engine API (what the worker exposes to the page)', () => {
  it('loads a GGUF model reporting progress in bytes, and describes it', async () => {
    const progress: number[] = [];
    const info = await engine.loadModel(stories, 'load-1', (p) => progress.push(p.done));
    expect(info.config.architecture).toBe('llama');
    expect(info.config.nLayers).toBe(5);
    expect(info.parameters).toBe(292_800);
    expect(info.bytesByType).toEqual({ F32: 1_171_200 });
    expect(info.tokenizer).toBe('SentencePiece');
    expect(info.memoryPlan.problems).toEqual([]);
    expect(progress.length).toBeGreaterThan(10);
    expect(progress[progress.length - 1]).toBe(1_171_200);
    expect(await engine.modelInfo()).toEqual(info);
  });

  it('loads a file on disk given as a ByteSource (as lora-lab eval does), as the same model as its Blob; keeping it is refused', async () => {
    const fromBlob = (await engine.modelInfo())!.identity;
    const source = await openFileSource(sharedData('tiny-models', 'stories260K.gguf'));
    await expect(engine.loadModel(source, 'load-source-kept', undefined, { keep: true })).rejects.toThrow(
      /keeping "stories260K.gguf" needs it as a File or Blob.*Load it without keep/s,
    );
    const info = await engine.loadModel(source, 'load-source');
    expect(info.fileName).toBe('stories260K.gguf');
    expect(info.identity).toEqual({ ...fromBlob, fileName: 'stories260K.gguf' });
    expect(info.parameters).toBe(292_800);
  });

  it('generates, streaming the text as it comes', async () => {
    const pieces: string[] = [];
    const result = await engine.generate({ prompt: 'Once upon a time', maxTokens: 6, temperature: 0 }, 'gen-1', (t) => pieces.push(t));
    expect(result.text).toBe(', there was a little g');
    expect(pieces.join('')).toBe(result.text);
  });

  it('keeps the loaded model when a new file fails to load', async () => {
    const truncated = stories.slice(0, 5000);
    await expect(engine.loadModel(truncated, 'load-2')).rejects.toThrow(/past the end|truncated/);
    expect((await engine.modelInfo())?.config.nLayers).toBe(5);
    const again = await engine.generate({ prompt: 'Once upon a time', maxTokens: 2, temperature: 0 }, 'gen-2');
    expect(again.text).toBe(', there');
  });

  it('refuses to replace the model, generate again or switch adapters while a generation uses it, naming it', async () => {
    const refusals: Promise<string>[] = [];
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'ran',
        (e: Error) => e.message,
      );
    const result = await engine.generate({ prompt: 'Once upon a time', maxTokens: 6, temperature: 0 }, 'gen-busy', () => {
      if (refusals.length > 0) return;
      refusals.push(
        outcome(engine.loadModel(stories, 'load-busy')),
        outcome(engine.generate({ prompt: 'The sun', maxTokens: 2, temperature: 0 }, 'gen-second')),
        outcome(engine.useAdapter(null)),
      );
    });
    expect(await Promise.all(refusals)).toEqual([
      'loadModel: generation from stories260K.gguf is running on the model — Wait until it finishes or stop it, then try again.',
      'generate: generation from stories260K.gguf is running on the model — Wait until it finishes or stop it, then try again.',
      'useAdapter: generation from stories260K.gguf is running on the model — Wait until it finishes or stop it, then try again.',
    ]);
    // The refused calls did not touch its KV cache: the text is what the prompt gives alone.
    expect(result.text).toBe(', there was a little g');
  });

  it('reports the job on the model to watchers as it starts and ends', async () => {
    const seen: (string | undefined)[] = [];
    await engine.watchJobs((job) => seen.push(job?.label));
    await engine.generate({ prompt: 'Once upon a time', maxTokens: 1, temperature: 0 }, 'gen-watched');
    expect(seen).toEqual([undefined, 'generation from stories260K.gguf', undefined]);
  });

  it('cancels a running generation by its job id', async () => {
    const running = engine.generate({ prompt: 'Once upon a time', maxTokens: 200, temperature: 0 }, 'gen-3', () => {
      void engine.cancel('gen-3');
    });
    await expect(running).rejects.toThrow(/cancelled by the user/);
  });
});
