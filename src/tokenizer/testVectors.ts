/**
 * llama.cpp's tokenizer test-vector files. A `.inp` file holds test strings, each followed by a line
 * `__ggml_vocab_test__` (so a string's own trailing newlines are kept, and the separator's newline is not
 * part of it); the `.out` file has one line per string with the expected ids, each preceded by a space, and
 * no BOS/EOS (the vectors are encoded without special tokens).
 */
export const VOCAB_TEST_SEPARATOR = '\n__ggml_vocab_test__\n';

export function parseVocabTestInput(text: string): string[] {
  const parts = text.split(VOCAB_TEST_SEPARATOR);
  // The file ends with a separator, which leaves one empty part after it.
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export function formatVocabTestOutput(ids: number[][]): string {
  return ids.map((line) => line.map((id) => ` ${id}`).join('') + '\n').join('');
}
