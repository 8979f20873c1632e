import { openAsBlob } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { benchTokens } from '../../bench/modelInputs';
import { tokensOutsideUtf8, wllamaCompletionRequest } from '../../bench/peers/wllamaRequest';
import { readGguf } from '../../src/formats/gguf';
import { Tokenizer, TokenType, vocabFromGguf } from '../../src/tokenizer';
import { sharedData } from '../sharedData';
import { byteTokens, handVocab } from '../tokenizer/handVocab';

async function storiesTokenizer(): Promise<Tokenizer> {
  return new Tokenizer(vocabFromGguf(await readGguf(await openAsBlob(sharedData('tiny-models', 'stories260K.gguf')))));
}

describe('wllama completion request', () => {
  it('bars exactly the byte tokens that are not a whole character: <0x80> to <0xFF>', () => {
    const tokenizer = new Tokenizer(handVocab('llama', [['<unk>', 0, TokenType.Unknown], ...byteTokens(), ['▁é', -1], ['▁a', -2]]));
    const barred = tokensOutsideUtf8(tokenizer);
    expect(barred).toEqual(Array.from({ length: 128 }, (_, i) => 1 + 0x80 + i));
  });

  it("gives stories260K's tokenizer the bench's prompt ids back from the text, and bars its 128 high byte tokens", async () => {
    const tokenizer = await storiesTokenizer();
    const request = wllamaCompletionRequest(tokenizer, 64, 16);
    expect(tokenizer.encode(request.prompt, { addSpecial: false })).toEqual(benchTokens(64));
    expect(request.logit_bias).toHaveLength(128);
    for (const [id, bias] of request.logit_bias) {
      expect(bias).toBe(false);
      expect(tokenizer.tokenType(id)).toBe(TokenType.Byte);
    }
    expect(request).toMatchObject({ max_tokens: 16, temperature: 0, ignore_eos: true, cache_prompt: false });
  });
});
