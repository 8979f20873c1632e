import { existsSync, readFileSync } from 'node:fs';
import { openFileSource } from '../../formats/nodeFileSource';
import type { CliCommand } from '../command';
import { CliUsageError } from '../command';
import { flag, parseArgs } from '../args';
import { LabError } from '../../errors';
import { readGguf } from '../../formats/gguf';
import { formatVocabTestOutput, parseVocabTestInput, Tokenizer, vocabFromGguf, VOCAB_TEST_SEPARATOR } from '../../tokenizer';

export const command: CliCommand = {
  name: 'tokenize',
  summary: "tokenize text with a GGUF model's vocabulary (llama.cpp test-vector format)",
  usage: `usage: lora-lab tokenize --model <file.gguf> (--inp <file.inp> | --text <text>) [--add-special] [--parse-special]

Reads the tokenizer from the model's metadata and prints token ids, one line per input string, each id
preceded by a space: llama.cpp's .out format, so the output of an .inp file diffs clean against its .out file.
  --model <file.gguf>  a GGUF model or vocab-only file
  --inp <file.inp>     test strings, each followed by a line "__ggml_vocab_test__" (llama.cpp's .inp format)
  --text <text>        tokenize this one string instead
  --add-special        add BOS/EOS as the vocabulary says (off, as in llama.cpp's vectors)
  --parse-special      recognise control tokens such as <s> or <|im_start|> written in the text`,
  async run(args, io) {
    const parsed = parseArgs(args, { values: ['model', 'inp', 'text'], switches: ['add-special', 'parse-special'] });
    if (parsed.positional.length > 0) throw new CliUsageError(`unexpected argument "${parsed.positional[0]}"`);
    const modelPath = flag(parsed, 'model');
    const inpPath = flag(parsed, 'inp');
    const text = flag(parsed, 'text');
    if (!modelPath) throw new CliUsageError('--model is required');
    if ((inpPath === undefined) === (text === undefined)) throw new CliUsageError('give exactly one of --inp and --text');

    const strings = inpPath !== undefined ? readInput(inpPath) : [text!];
    if (!existsSync(modelPath)) throw new LabError('file not found', modelPath);
    const file = await readGguf(await openFileSource(modelPath), { name: modelPath });
    const tokenizer = new Tokenizer(vocabFromGguf(file, modelPath));
    const options = { addSpecial: parsed.flags.has('add-special'), parseSpecial: parsed.flags.has('parse-special') };
    io.out(formatVocabTestOutput(strings.map((s) => tokenizer.encode(s, options))));
    return 0;
  },
};

function readInput(path: string): string[] {
  if (!existsSync(path)) throw new LabError('file not found', path);
  const text = readFileSync(path, 'utf8');
  if (!text.endsWith(VOCAB_TEST_SEPARATOR)) {
    throw new LabError(
      'does not end with a "__ggml_vocab_test__" line',
      path,
      'an .inp file lists test strings, each followed by a line "__ggml_vocab_test__"',
    );
  }
  return parseVocabTestInput(text);
}
