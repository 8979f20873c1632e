import type { Tokenizer } from '../../src/tokenizer';
import { benchTokens } from '../modelInputs';

/**
 * The completion request the bench gives wllama, in llama-server's JSON (wllama passes it through):
 *
 * - `prompt`: text, since wllama's completion action reads the prompt as a string (a token array fails with
 *   nlohmann::json type_error.302). The bench's token ids are decoded with the model's own tokenizer; wllama
 *   tokenizes the text back to those ids after its BOS (stories260K's vocabulary), or to about as many where
 *   the pieces merge otherwise (63 for the 64 in the 32k SentencePiece one). The row's note gives its count.
 * - `logit_bias`: every token whose piece is not whole UTF-8 on its own is barred (`false` is llama-server's
 *   "never"). wllama's `get_result` serialises the reply with nlohmann::json's strict `dump()`, which throws
 *   type_error.316 on text that is not UTF-8; `wllama_action` catches it and returns null without writing the
 *   reply's length, so the worker reads the request's "GLUE" magic (1163217991) as that length and fails with
 *   "Invalid typed array length". A model with random weights picks byte tokens such as <0xD4> that leave half a
 *   character. Barring them changes which ids come out, not the work done per token.
 * - `ignore_eos`: exactly `max_tokens` steps, as our decode measures.
 */
export interface WllamaCompletionRequest {
  prompt: string;
  max_tokens: number;
  temperature: 0;
  cache_prompt: false;
  ignore_eos: true;
  logit_bias: [number, false][];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Ids whose piece (the bytes the token stands for) is not valid UTF-8 by itself. */
export function tokensOutsideUtf8(tokenizer: Tokenizer): number[] {
  const ids: number[] = [];
  for (let id = 0; id < tokenizer.size; id++) {
    try {
      strictUtf8.decode(tokenizer.piece(id));
    } catch {
      ids.push(id);
    }
  }
  return ids;
}

export function wllamaCompletionRequest(tokenizer: Tokenizer, promptTokens: number, decodeTokens: number): WllamaCompletionRequest {
  return {
    prompt: tokenizer.decode(benchTokens(promptTokens)),
    max_tokens: decodeTokens,
    temperature: 0,
    cache_prompt: false,
    ignore_eos: true,
    logit_bias: tokensOutsideUtf8(tokenizer).map((id) => [id, false]),
  };
}
