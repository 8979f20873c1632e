/**
 * The plain instruction template used for math SFT (MetaMath's Alpaca-style prompt, as Skywork-Math used).
 * Training: the prompt ends at "### Response:" and the loss covers only the response, which ends with
 * "The answer is: X". Evaluation: the same prompt with " Let's think step by step." appended.
 */
const HEADER = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n';

export const ANSWER_PREFIX = 'The answer is: ';

export function sftTrainPrompt(instruction: string): string {
  return `${HEADER}### Instruction:\n${instruction}\n\n### Response:`;
}

export function sftEvalPrompt(instruction: string): string {
  return `${sftTrainPrompt(instruction)} Let's think step by step.`;
}

/** A response in the MetaMathQA style: the reasoning, then a last line giving the final answer. */
export function sftResponse(reasoning: string, answer: string): string {
  return `${reasoning.trimEnd()}\n${ANSWER_PREFIX}${answer}`;
}
