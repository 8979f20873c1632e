import { openAsBlob, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { readGguf } from '../../src/formats/gguf';
import { sftEvalPrompt, sftTrainPrompt } from '../../src/data/sftTemplate';
import { ChatTemplate, instructionPrompt, tokenizeRendered, trainingExample, type ChatMessage } from '../../src/model/chatTemplate';
import { loadTokenizer, vocabPath } from './llamaCppModels';
import { llamaCppModelFile } from '../../scripts/lib/llamaCppVocab';

/** ChatML, as Qwen2 writes it (default system turn when the conversation has none). */
const CHATML =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}" +
  "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}" +
  "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Llama 2 chat: [INST] turns, an optional <<SYS>> block in the first one, strict user/assistant alternation. */
const LLAMA2 =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}" +
  "{% set system_message = '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>\\n\\n' %}" +
  "{% else %}{% set loop_messages = messages %}{% set system_message = '' %}{% endif %}" +
  '{% for message in loop_messages %}' +
  "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
  "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if loop.index0 == 0 %}{% set content = system_message + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content | trim + ' [/INST]' }}" +
  "{% elif message['role'] == 'assistant' %}{{ ' ' + content | trim + ' ' + eos_token }}{% endif %}{% endfor %}";

/** Llama 3 instruct: header tokens around each role, <|eot_id|> after each turn. */
const LLAMA3 =
  '{{ bos_token }}{% for message in messages %}' +
  "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

const QUESTION: ChatMessage = { role: 'user', content: 'What is 2+2?' };
const ANSWER: ChatMessage = { role: 'assistant', content: '2+2=4. The answer is: 4' };

describe('chat templates', () => {
  it('renders ChatML with the default system turn and the assistant header', () => {
    const template = new ChatTemplate(CHATML, { bos: '', eos: '<|im_end|>' });
    expect(template.render([QUESTION])).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(template.render([QUESTION, ANSWER], { addGenerationPrompt: false })).toMatch(
      /<\|im_start\|>assistant\n2\+2=4\. The answer is: 4<\|im_end\|>\n$/,
    );
  });

  it('renders Llama 2 [INST] turns with the system block, BOS and EOS tokens', () => {
    const template = new ChatTemplate(LLAMA2, { bos: '<s>', eos: '</s>' });
    const messages: ChatMessage[] = [{ role: 'system', content: 'Be brief.' }, QUESTION, ANSWER, { role: 'user', content: 'And 3+3?' }];
    expect(template.render(messages)).toBe(
      '<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nWhat is 2+2? [/INST] 2+2=4. The answer is: 4 </s><s>[INST] And 3+3? [/INST]',
    );
  });

  it('renders Llama 3 headers after BOS', () => {
    const template = new ChatTemplate(LLAMA3, { bos: '<|begin_of_text|>', eos: '<|eot_id|>' });
    expect(template.render([QUESTION])).toBe(
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });

  it('turns raise_exception into a LabError naming the template and the reason', () => {
    const template = new ChatTemplate(LLAMA2, { bos: '<s>', eos: '</s>' }, 'model.gguf: tokenizer.chat_template');
    const render = () => template.render([QUESTION, QUESTION]);
    expect(render).toThrow(LabError);
    expect(render).toThrow(/^model\.gguf: tokenizer\.chat_template: chat template failed to render: Conversation roles must alternate/);
  });

  it('reports a template that does not parse, naming it', () => {
    expect(() => new ChatTemplate('{% for m in messages %}{{ m.content }}', { bos: '', eos: '' })).toThrow(
      /tokenizer\.chat_template: chat template does not parse/,
    );
  });

  it('reports a template that fails while rendering', () => {
    const template = new ChatTemplate('{{ messages[0].content.nope() }}', { bos: '', eos: '' });
    expect(() => template.render([QUESTION])).toThrow(/chat template failed to render/);
  });

  it('reads the template of a GGUF file and tokenizes its control tokens as single tokens', async () => {
    const file = await readGguf(await openAsBlob(vocabPath('qwen2')));
    const tokenizer = await loadTokenizer('qwen2');
    const template = ChatTemplate.fromGguf(file, tokenizer, 'qwen2.gguf')!;
    const text = template.render([QUESTION]);
    expect(text).toContain('<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n');
    const ids = tokenizeRendered(tokenizer, text);
    expect(ids.filter((id) => id === tokenizer.idOf('<|im_start|>'))).toHaveLength(3);
    expect(tokenizer.decode(ids, { unparseSpecial: true })).toBe(text);
  });

  it('is absent for a GGUF file without one', async () => {
    const file = await readGguf(await openAsBlob(vocabPath('llama-spm')));
    expect(ChatTemplate.fromGguf(file, await loadTokenizer('llama-spm'))).toBeUndefined();
  });

  it('renders the real Qwen2.5 and Llama 3.1 templates shipped with llama.cpp', () => {
    const qwen = new ChatTemplate(readFileSync(llamaCppModelFile('templates/Qwen-Qwen2.5-7B-Instruct.jinja'), 'utf8'), {
      bos: '',
      eos: '<|im_end|>',
    });
    expect(qwen.render([QUESTION])).toMatch(
      /^<\|im_start\|>system\n.+<\|im_end\|>\n<\|im_start\|>user\nWhat is 2\+2\?<\|im_end\|>\n<\|im_start\|>assistant\n$/s,
    );
    const llama = new ChatTemplate(readFileSync(llamaCppModelFile('templates/meta-llama-Llama-3.1-8B-Instruct.jinja'), 'utf8'), {
      bos: '<|begin_of_text|>',
      eos: '<|eot_id|>',
    });
    const text = llama.render([QUESTION], { variables: { date_string: '11 Jun 2024' } });
    expect(text).toMatch(/^<\|begin_of_text\|><\|start_header_id\|>system<\|end_header_id\|>\n\n/);
    expect(text).toContain('Today Date: 11 Jun 2024');
    expect(text).toMatch(
      /<\|start_header_id\|>user<\|end_header_id\|>\n\nWhat is 2\+2\?<\|eot_id\|><\|start_header_id\|>assistant<\|end_header_id\|>\n\n$/,
    );
  });

  it('does not double BOS when the template writes it and the vocabulary adds it', async () => {
    const tokenizer = await loadTokenizer('llama-spm');
    const text = new ChatTemplate(LLAMA2, { bos: '<s>', eos: '</s>' }).render([QUESTION]);
    const ids = tokenizeRendered(tokenizer, text);
    expect(ids[0]).toBe(tokenizer.bosId);
    expect(ids[1]).not.toBe(tokenizer.bosId);
  });
});

describe('prompt styles', () => {
  it('uses the plain SFT template from src/data/sftTemplate.ts unchanged', () => {
    expect(instructionPrompt({ kind: 'sft' }, 'What is 2+2?')).toBe(sftEvalPrompt('What is 2+2?'));
    expect(trainingExample({ kind: 'sft' }, 'What is 2+2?', 'It is 4.')).toEqual({
      prompt: sftTrainPrompt('What is 2+2?'),
      response: 'It is 4.',
    });
  });

  it('splits a chat training example after the assistant header, keeping the end-of-turn marker in the response', () => {
    const style = { kind: 'chat' as const, template: new ChatTemplate(CHATML, { bos: '', eos: '<|im_end|>' }), system: 'Solve it.' };
    const { prompt, response } = trainingExample(style, 'What is 2+2?', 'The answer is: 4');
    expect(prompt).toBe(instructionPrompt(style, 'What is 2+2?'));
    expect(prompt.startsWith('<|im_start|>system\nSolve it.<|im_end|>\n')).toBe(true);
    expect(response).toBe('The answer is: 4<|im_end|>\n');
  });

  it('refuses to split when the template renders the prompt differently with the answer added', () => {
    // Its generation prompt ">>" is not part of the conversation once the answer is there.
    const odd = new ChatTemplate(
      "{{ messages[0]['content'] }}{% if add_generation_prompt %}>>{% endif %}{% if messages|length > 1 %}: {{ messages[1]['content'] }}{% endif %}",
      { bos: '', eos: '' },
    );
    expect(() => trainingExample({ kind: 'chat', template: odd }, 'Q', 'A')).toThrow(/cannot be split off/);
  });
});
