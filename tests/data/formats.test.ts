import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadShard } from '../../src/data/shard';
import { ANSWER_PREFIX } from '../../src/data/sftTemplate';
import { blobOf, jsonl } from './files';
import { parquetFile, type ColumnSpec } from './parquetEncoder';

const metamathRows = [
  { query: 'What is 2 + 3?', response: 'Adding gives 5.\nThe answer is: 5', type: 'GSM_AnsAug', original_question: 'What is 2 + 3?' },
  { query: 'If x + 1 = 4, what is x?', response: 'x = 4 - 1 = 3.\nThe answer is: 3', type: 'MATH_FOBAR', original_question: 'x + 1 = 4' },
];

const numinaSpecs: ColumnSpec[] = [
  { name: 'source', kind: 'string' },
  { name: 'problem', kind: 'string' },
  { name: 'solution', kind: 'string' },
  { name: 'messages', kind: 'messages' },
];
function numinaRow(i: number) {
  const problem = `Find ${i} squared.`;
  const solution = `We compute ${i} * ${i} = ${i * i}, so the answer is $\\boxed{${i * i}}$.`;
  return {
    source: i % 2 ? 'olympiads' : 'cn_k12',
    problem,
    solution,
    messages: [
      { role: 'user', content: problem },
      { role: 'assistant', content: solution },
    ],
  };
}

describe('each published layout is recognised and normalised', () => {
  it('MetaMathQA as a JSON array: schema metamath, rows numbered from 0, answers from "The answer is:"', async () => {
    const shard = await loadShard(blobOf(JSON.stringify(metamathRows, null, 2)), 'MetaMathQA-395K.json');
    expect(shard.format).toBe('json-array');
    expect(shard.schema).toBe('metamath');
    expect(shard.unit).toBe('row');
    expect(shard.examples.map((e) => [e.row, e.answer, e.source])).toEqual([
      [0, '5', 'GSM_AnsAug'],
      [1, '3', 'MATH_FOBAR'],
    ]);
    expect(shard.examples[0].prompt).toBe('What is 2 + 3?');
  });

  it('NuminaMath as Parquet (several row groups, nested messages column): boxed answers and sources', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => numinaRow(i + 1));
    const shard = await loadShard(blobOf(parquetFile(numinaSpecs, rows, 10)), 'numina.parquet');
    expect(shard.format).toBe('parquet');
    expect(shard.schema).toBe('numina');
    expect(shard.rowsLoaded).toBe(25);
    expect(shard.examples[24]).toMatchObject({ row: 24, answer: '625', source: 'olympiads', prompt: 'Find 25 squared.' });
    expect(shard.examples[24].response.endsWith(`${ANSWER_PREFIX}625`)).toBe(true);
  });

  it('chat messages in JSON Lines: the last assistant turn is the response, the user turn the prompt', async () => {
    const rows = [
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'What is 6*7?' },
          { role: 'assistant', content: '6*7 = 42.\nThe answer is: 42' },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello' },
          { role: 'user', content: 'What is 1+1?' },
          { role: 'assistant', content: '$\\boxed{2}$' },
        ],
      },
    ];
    const shard = await loadShard(blobOf(jsonl(rows)), 'chat.jsonl');
    expect(shard.schema).toBe('chat');
    expect(shard.examples[0]).toMatchObject({ prompt: 'Be brief.\n\nWhat is 6*7?', answer: '42', row: 1 });
    expect(shard.examples[1].prompt).toBe('user: Hi\n\nassistant: Hello\n\nuser: What is 1+1?');
    expect(shard.examples[1].answer).toBe('2');
  });

  it('plain text rows train on every token: kind "text", empty prompt', async () => {
    const shard = await loadShard(blobOf(jsonl([{ text: 'Euclid proved there are infinitely many primes.' }])), 'text.jsonl');
    expect(shard.schema).toBe('text');
    expect(shard.examples[0]).toMatchObject({ kind: 'text', prompt: '', response: 'Euclid proved there are infinitely many primes.' });
  });

  it('MATH rows: "Level 4" becomes level 4, the type is the source, the answer is appended', async () => {
    const row = { problem: 'Compute $1+1$.', level: 'Level 4', type: 'Algebra', solution: 'Clearly $1+1=\\boxed{2}$.' };
    const shard = await loadShard(blobOf(jsonl([row, { ...row, level: 'Level ?' }])), 'math.jsonl');
    expect(shard.schema).toBe('math');
    expect(shard.examples[0]).toMatchObject({
      level: 4,
      source: 'Algebra',
      answer: '2',
      response: `Clearly $1+1=\\boxed{2}$.\n${ANSWER_PREFIX}2`,
    });
    expect(shard.examples[1].level).toBeUndefined();
  });

  it('gzip-compressed JSON Lines decompresses as a stream and keeps line numbers', async () => {
    const shard = await loadShard(blobOf(gzipSync(jsonl(metamathRows))), 'mm.jsonl.gz');
    expect(shard.format).toBe('jsonl-gzip');
    expect(shard.examples.map((e) => e.row)).toEqual([1, 2]);
  });

  it('a field map reads any other layout (Alpaca instruction/output) and can set the stage from a field', async () => {
    const rows = [{ instruction: 'Add 2 and 2.', output: 'Four.\nThe answer is: 4', difficulty: 'hard' }];
    const shard = await loadShard(blobOf(jsonl(rows)), 'alpaca.jsonl', {
      fields: { prompt: 'instruction', response: 'output', stage: 'difficulty' },
    });
    expect(shard.schema).toBe('custom');
    expect(shard.examples[0]).toMatchObject({ prompt: 'Add 2 and 2.', answer: '4', stage: 'hard' });
  });

  it('progress is reported in bytes and reaches the file size', async () => {
    const blob = blobOf(jsonl(metamathRows));
    const seen: number[] = [];
    await loadShard(blob, 'mm.jsonl', { onProgress: (read, total) => seen.push(read, total) });
    expect(seen[seen.length - 2]).toBe(blob.size);
    expect(seen[seen.length - 1]).toBe(blob.size);
  });
});
