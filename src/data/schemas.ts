/**
 * The dataset layouts recognised automatically, and how each row of them becomes an `Example`.
 * Detection looks only at field names; a `FieldMap` overrides it for any other layout.
 *
 * Responses are normalised to end with the MetaMath answer line ("The answer is: X") when the source states
 * an answer in another way (GSM8K `#### N`, MATH `\boxed{}`), because the evaluation prompt splits the model's
 * output on that line; GSM8K's `<<48/2=24>>` calculator annotations are removed for the same reason (the model
 * would learn to emit them). Nothing else in the text changes.
 */
import { answerLine, gsm8kAnswer, lastBoxed } from './answers';
import { levelField, optionalText, textField, type RawRow } from './fields';
import { chatDraft } from './chatRows';
import { sftResponse } from './sftTemplate';

export type SchemaName = 'metamath' | 'gsm8k' | 'math' | 'math500' | 'numina' | 'chat' | 'text' | 'custom';

/**
 * Which raw field plays which part. Giving `prompt`+`response`, `messages` or `text` defines a custom layout;
 * giving only `answer`, `source`, `level` or `stage` refines a detected one (e.g. `stage: 'difficulty'`).
 */
export interface FieldMap {
  prompt?: string;
  response?: string;
  messages?: string;
  text?: string;
  answer?: string;
  source?: string;
  level?: string;
  stage?: string;
}

/** The parts of an `Example` a schema fills in (the loader adds the shard, row and length checks). */
export interface Draft {
  kind: 'sft' | 'text';
  prompt: string;
  response: string;
  answer?: string;
  source?: string;
  level?: number;
  stage?: string;
  id?: string;
}

export interface Schema {
  name: SchemaName;
  /** What the user reads in reports, e.g. "MetaMathQA / Skywork-MathQA". */
  label: string;
  /** Field names whose presence identifies the layout. */
  identifiedBy: string[];
  /** Every field the layout reads (Parquet reads only these columns). */
  reads: string[];
  toDraft(row: RawRow): Draft | { reason: string };
}

/** Appends "The answer is: X" unless the response already ends with an answer line. */
function withAnswerLine(response: string, answer: string | undefined): string {
  return answer === undefined || answerLine(response) !== undefined ? response : sftResponse(response, answer);
}

function problemSolution(row: RawRow, problemField: string, solutionField: string) {
  const prompt = textField(row, problemField);
  if ('reason' in prompt) return prompt;
  const solution = textField(row, solutionField);
  if ('reason' in solution) return solution;
  return { prompt: prompt.value, solution: solution.value };
}

const SCHEMAS: Schema[] = [
  {
    name: 'math500',
    label: 'MATH-500',
    identifiedBy: ['problem', 'solution', 'answer', 'unique_id'],
    reads: ['problem', 'solution', 'answer', 'subject', 'level', 'unique_id'],
    toDraft(row) {
      const ps = problemSolution(row, 'problem', 'solution');
      if ('reason' in ps) return ps;
      const answer = optionalText(row, 'answer') ?? lastBoxed(ps.solution);
      const response = withAnswerLine(ps.solution, answer);
      return {
        kind: 'sft',
        prompt: ps.prompt,
        response,
        answer,
        source: optionalText(row, 'subject'),
        level: levelField(row, 'level'),
        id: optionalText(row, 'unique_id'),
      };
    },
  },
  {
    name: 'numina',
    label: 'NuminaMath',
    identifiedBy: ['problem', 'solution', 'messages'],
    reads: ['problem', 'solution', 'source'],
    toDraft(row) {
      const ps = problemSolution(row, 'problem', 'solution');
      if ('reason' in ps) return ps;
      const answer = lastBoxed(ps.solution);
      return { kind: 'sft', prompt: ps.prompt, response: withAnswerLine(ps.solution, answer), answer, source: optionalText(row, 'source') };
    },
  },
  {
    name: 'math',
    label: 'MATH',
    identifiedBy: ['problem', 'solution'],
    reads: ['problem', 'solution', 'type', 'level'],
    toDraft(row) {
      const ps = problemSolution(row, 'problem', 'solution');
      if ('reason' in ps) return ps;
      const answer = lastBoxed(ps.solution);
      const response = withAnswerLine(ps.solution, answer);
      return { kind: 'sft', prompt: ps.prompt, response, answer, source: optionalText(row, 'type'), level: levelField(row, 'level') };
    },
  },
  {
    name: 'metamath',
    label: 'MetaMathQA / Skywork-MathQA',
    identifiedBy: ['query', 'response'],
    reads: ['query', 'response', 'type'],
    toDraft(row) {
      const ps = problemSolution(row, 'query', 'response');
      if ('reason' in ps) return ps;
      return { kind: 'sft', prompt: ps.prompt, response: ps.solution, answer: answerLine(ps.solution), source: optionalText(row, 'type') };
    },
  },
  {
    name: 'gsm8k',
    label: 'GSM8K',
    identifiedBy: ['question', 'answer'],
    reads: ['question', 'answer'],
    toDraft(row) {
      const ps = problemSolution(row, 'question', 'answer');
      if ('reason' in ps) return ps;
      const answer = gsm8kAnswer(ps.solution);
      const reasoning = ps.solution.replace(/<<[^<>]*>>/g, '');
      const marker = reasoning.lastIndexOf('####');
      const response = answer === undefined ? reasoning : sftResponse(reasoning.slice(0, marker), answer);
      return { kind: 'sft', prompt: ps.prompt, response, answer, source: 'gsm8k' };
    },
  },
  {
    name: 'chat',
    label: 'chat messages',
    identifiedBy: ['messages'],
    reads: ['messages'],
    toDraft: (row) => chatDraft(row, 'messages'),
  },
  {
    name: 'text',
    label: 'plain text',
    identifiedBy: ['text'],
    reads: ['text'],
    toDraft(row) {
      const text = textField(row, 'text');
      return 'reason' in text ? text : { kind: 'text', prompt: '', response: text.value };
    },
  },
];

/** The first recognised layout whose identifying fields are all present (most specific layouts come first). */
export function detectSchema(fieldNames: Iterable<string>): Schema | undefined {
  const present = new Set(fieldNames);
  return SCHEMAS.find((s) => s.identifiedBy.every((f) => present.has(f)));
}

export function schemaByName(name: SchemaName): Schema | undefined {
  return SCHEMAS.find((s) => s.name === name);
}

/** True when the map names a whole layout rather than refining a detected one. */
export function definesLayout(map: FieldMap | undefined): boolean {
  return !!map && (!!map.text || !!map.messages || (!!map.prompt && !!map.response));
}

/** A layout described entirely by a field map (e.g. Alpaca's `instruction`/`output`). */
export function customSchema(map: FieldMap): Schema {
  const identifiedBy = map.text ? [map.text] : map.messages ? [map.messages] : [map.prompt!, map.response!];
  return {
    name: 'custom',
    label: `custom (${Object.entries(map)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')})`,
    identifiedBy,
    reads: identifiedBy,
    toDraft(row) {
      if (map.text) {
        const text = textField(row, map.text);
        return 'reason' in text ? text : { kind: 'text', prompt: '', response: text.value };
      }
      if (map.messages) return chatDraft(row, map.messages);
      const ps = problemSolution(row, map.prompt!, map.response!);
      if ('reason' in ps) return ps;
      const answer = answerLine(ps.solution) ?? lastBoxed(ps.solution) ?? gsm8kAnswer(ps.solution);
      return { kind: 'sft', prompt: ps.prompt, response: ps.solution, answer };
    },
  };
}

/** Applies the refining parts of a field map (answer/source/level/stage) on top of any schema's draft. */
export function refineDraft(draft: Draft, row: RawRow, map: FieldMap | undefined): Draft {
  if (!map) return draft;
  const answer = optionalText(row, map.answer);
  return {
    ...draft,
    ...(answer !== undefined && { answer }),
    ...(map.source && { source: optionalText(row, map.source) }),
    ...(map.level && { level: levelField(row, map.level) }),
    ...(map.stage && { stage: optionalText(row, map.stage) }),
  };
}

export function knownSchemaList(): string {
  return SCHEMAS.map((s) => `${s.label} (${s.identifiedBy.join(', ')})`).join('; ');
}
