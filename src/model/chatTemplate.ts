import { Template } from '@huggingface/jinja';
import { LabError } from '../errors';
import { optMetaString, type GgufFile } from '../formats/gguf';
import { sftEvalPrompt, sftTrainPrompt } from '../data/sftTemplate';
import type { Tokenizer } from '../tokenizer';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | (string & {});
  content: string;
}

export interface RenderOptions {
  /** End with the header that opens the assistant's turn (for generation). Default true. */
  addGenerationPrompt?: boolean;
  /** More template variables (e.g. `date_string`, `tools`). */
  variables?: Record<string, unknown>;
}

const CHAT_TEMPLATE_KEY = 'tokenizer.chat_template';

/**
 * A model's chat template (`tokenizer.chat_template`, a Jinja template from its Hugging Face tokenizer config),
 * rendered with @huggingface/jinja and the variables such templates expect: `messages`,
 * `add_generation_prompt`, `bos_token`, `eos_token` (the library adds `raise_exception`, `strftime_now`, `range`).
 * Both a template that does not parse and one that fails to render (including one that refuses the conversation
 * through `raise_exception`) give a LabError naming the template.
 */
export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly source: string,
    readonly specialTokens: { bos: string; eos: string },
    readonly where = CHAT_TEMPLATE_KEY,
  ) {
    try {
      this.template = new Template(source);
    } catch (error) {
      throw new LabError(`chat template does not parse: ${messageOf(error)}`, where, 'the model file carries a broken template');
    }
  }

  /** The template in a model file, or undefined when it has none. Token texts come from its vocabulary. */
  static fromGguf(file: GgufFile, tokenizer: Tokenizer, source = 'GGUF file'): ChatTemplate | undefined {
    const text = optMetaString(file, CHAT_TEMPLATE_KEY);
    if (text === undefined) return undefined;
    const tokenText = (id: number | null) => (id === null ? '' : tokenizer.tokenText(id));
    return new ChatTemplate(text, { bos: tokenText(tokenizer.bosId), eos: tokenText(tokenizer.eosId) }, `${source}: ${CHAT_TEMPLATE_KEY}`);
  }

  render(messages: ChatMessage[], options: RenderOptions = {}): string {
    try {
      return this.template.render({
        ...options.variables,
        messages,
        add_generation_prompt: options.addGenerationPrompt ?? true,
        bos_token: this.specialTokens.bos,
        eos_token: this.specialTokens.eos,
      });
    } catch (error) {
      // Templates refuse a conversation through raise_exception (built into @huggingface/jinja), whose message
      // says why, e.g. "Conversation roles must alternate user/assistant/user/assistant/...".
      throw new LabError(`chat template failed to render: ${messageOf(error)}`, this.where, 'check the roles and order of the messages');
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * How a math instruction is put to the model: the plain Alpaca/MetaMath SFT template (src/data/sftTemplate.ts),
 * or the model's own chat template with the instruction as the user's turn.
 */
export type PromptStyle = { kind: 'sft' } | { kind: 'chat'; template: ChatTemplate; system?: string };

/** The prompt for evaluation or generation: everything before the model's answer. */
export function instructionPrompt(style: PromptStyle, instruction: string): string {
  if (style.kind === 'sft') return sftEvalPrompt(instruction);
  return style.template.render(conversation(style, instruction), { addGenerationPrompt: true });
}

/**
 * A training example split where the loss starts: `prompt` is context only, `response` is what the model learns
 * to produce (with the chat template: the assistant's turn up to and including its end-of-turn marker).
 * Fails when the template renders the prompt differently inside the whole conversation, since the split would
 * then be wrong.
 */
export function trainingExample(style: PromptStyle, instruction: string, response: string): { prompt: string; response: string } {
  if (style.kind === 'sft') return { prompt: sftTrainPrompt(instruction), response };
  const messages = conversation(style, instruction);
  const prompt = style.template.render(messages, { addGenerationPrompt: true });
  const whole = style.template.render([...messages, { role: 'assistant', content: response }], { addGenerationPrompt: false });
  if (!whole.startsWith(prompt)) {
    throw new LabError(
      'the chat template renders the prompt differently once the answer is added, so the answer cannot be split off',
      style.template.where,
    );
  }
  return { prompt, response: whole.slice(prompt.length) };
}

function conversation(style: { system?: string }, instruction: string): ChatMessage[] {
  const user: ChatMessage = { role: 'user', content: instruction };
  return style.system === undefined ? [user] : [{ role: 'system', content: style.system }, user];
}

/**
 * Token ids of rendered chat text: special-token texts in it (e.g. "<|im_start|>") become their tokens, and BOS
 * is added as the vocabulary says unless the template already wrote it (no doubled BOS).
 */
export function tokenizeRendered(tokenizer: Tokenizer, text: string): number[] {
  const ids = tokenizer.encode(text, { addSpecial: true, parseSpecial: true });
  const bos = tokenizer.bosId;
  if (tokenizer.vocab.addBos && bos !== null && ids.length >= 2 && ids[0] === bos && ids[1] === bos) ids.shift();
  return ids;
}
