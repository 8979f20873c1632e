import { describe, expect, it } from 'vitest';
import { loadShard } from '../../src/data/shard';
import { sftTrainPrompt } from '../../src/data/sftTemplate';
import { tokenizeExample } from '../../src/data/tokenize';
import { loadTokenizer, type VocabName } from '../tokenizer/llamaCppModels';
import { sharedData } from '../sharedData';
import { fileBlob } from './files';

describe('training sequences with the real GGUF tokenizers', () => {
  for (const name of ['llama-spm', 'deepseek-llm'] as VocabName[]) {
    it(`${name}: BOS once, the masked part decodes to the prompt and the targets to the response`, async () => {
      const tokenizer = await loadTokenizer(name);
      const special = { bos: tokenizer.bosId!, eos: tokenizer.eosId! };
      const shard = await loadShard(await fileBlob(sharedData('gsm8k', 'test.jsonl')), 'test.jsonl');
      for (const example of shard.examples.slice(0, 25)) {
        const t = tokenizeExample(example, tokenizer, special);
        const ids = Array.from(t.tokens);
        const start = t.targets.indexOf(1);
        expect(ids.filter((id) => id === special.bos)).toEqual([special.bos]);
        expect(ids[ids.length - 1]).toBe(special.eos);
        expect(tokenizer.decode(ids.slice(1, start)).trim()).toBe(sftTrainPrompt(example.prompt).trim());
        expect(tokenizer.decode(ids.slice(start, -1)).trim()).toBe(example.response.trim());
      }
    });
  }
});
