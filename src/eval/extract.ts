import { closingBrace } from './latexScan';

/**
 * Finds the final answer in a model response (or in a reference solution, or in a bare answer).
 *
 * Order: the later of the last `\boxed{}`/`\fbox{}` and the last answer phrase ("The answer is", "The final answer
 * is", "Final Answer:", a line starting "Answer"); then, for text with no marker, a bare answer or a one-formula
 * statement; GSM8K alone also takes `#### N` first and the last number last. MATH never falls back to "the last
 * number in the text": a response that states no answer has none, rather than a guessed one.
 */
export type ExtractionMode = 'math' | 'gsm8k';

export type ExtractionMethod = 'gsm8k-hash' | 'boxed' | 'answer-phrase' | 'bare' | 'sole-formula' | 'last-number';

export interface ExtractedAnswer {
  /** The answer text as it appears (joined with ", " when several adjacent boxes hold one answer). */
  text: string;
  /** Span in the original text, so a UI can highlight where the answer came from. */
  start: number;
  end: number;
  method: ExtractionMethod;
}

/** `\boxed{…}`/`\fbox{…}`, or `\boxed 5` without braces (a few MATH solutions write it so). */
const BOX_PATTERN = /\\\\?(?:boxed|fbox)(?:\s*\{|\s+(?=[^\s{$]))/g;
/** An unbraced box holds one token: up to whitespace or "$", less a sentence's final "." or ",". */
const UNBRACED_BOX_CONTENT = /^[^\s$]*[^\s$.,]/;
const ANSWER_PHRASE =
  /(?:\bthe\s+(?:final\s+|correct\s+)?answer\s+is\s*:?(?!\s*(?:correct|right|wrong|incorrect|not)\b)|\bfinal\s+answer\s*:|(?:^|\n)[ \t]*\**answer(?![a-z])\**\s*:?)\s*/gi;
const MATH_SPAN = /\$\$[\s\S]*?\$\$|\$[^$]*\$|\\\([\s\S]*?\\\)|\\\[[\s\S]*?\\\]/g;
const CONNECTIVES = new Set(['and', 'or']);
const TRAILING_CLAUSE = /,\s+(?:but|which|so|since|because|as|where|assuming|if|though|although|however)\b[\s\S]*$/i;
/** A number not glued to a word ("K2A" holds no number): optional sign, digits with thousands commas, decimals. */
const NUMBER_TOKEN = /(?<![A-Za-z\d.])-?(?:\d[\d,]*(?:\.\d+)?|\.\d+)/g;

interface Box {
  start: number;
  end: number;
  content: string;
}

function findBoxes(text: string): Box[] {
  const boxes: Box[] = [];
  for (let m = BOX_PATTERN.exec(text); m; m = BOX_PATTERN.exec(text)) {
    if (!m[0].endsWith('{')) {
      const contentStart = m.index + m[0].length;
      const content = UNBRACED_BOX_CONTENT.exec(text.slice(contentStart))?.[0];
      if (content) boxes.push({ start: m.index, end: contentStart + content.length, content });
      continue;
    }
    const open = m.index + m[0].length - 1;
    const close = closingBrace(text, open);
    const end = close < 0 ? text.length : close;
    boxes.push({ start: m.index, end, content: text.slice(open + 1, close < 0 ? text.length : close - 1) });
    BOX_PATTERN.lastIndex = end;
  }
  BOX_PATTERN.lastIndex = 0;
  return boxes;
}

function words(prose: string): string[] {
  return prose.replace(/\\[a-zA-Z]+/g, ' ').match(/[A-Za-z]{2,}/g) ?? [];
}

/**
 * Text between two boxes that only joins them (not "or": `\boxed{15\frac{39}{40}}, or \boxed{\frac{639}{40}}` gives
 * one answer twice) ("\boxed{1} and \boxed{2}", "\boxed{(2,2)} \quad \text{and}
 * \quad \boxed{(6,2)}", "\boxed{1}, \boxed{2}"): empty or ending in a comma/connective, a few words at most.
 * A trailing "y_2 =" (naming the next value) is allowed.
 */
function joinsBoxes(between: string): boolean {
  const cleaned = between
    .replace(/\\[()[\]]|\$/g, ' ')
    .replace(/\\(?:q?quad|[,;:! ])/g, ' ')
    .replace(/\\text\s*\{([^{}]*)\}/g, ' $1 ')
    .replace(/[A-Za-z](?:_\{?\w+\}?)?\s*=\s*$/, '')
    .trim();
  if (cleaned === '' || cleaned === ',' || cleaned === ';') return true;
  const w = words(cleaned);
  return w.length <= 6 && /(?:,|;|\band)$/i.test(cleaned);
}

function lastBoxedAnswer(text: string): ExtractedAnswer | null {
  const boxes = findBoxes(text);
  if (boxes.length === 0) return null;
  let first = boxes.length - 1;
  while (first > 0 && joinsBoxes(text.slice(boxes[first - 1].end, boxes[first].start))) first--;
  const joined = boxes.slice(first).map((b) => b.content.trim());
  return { text: joined.join(', '), start: boxes[first].start, end: boxes[boxes.length - 1].end, method: 'boxed' };
}

/** End of the sentence that starts at `from`: a newline or a full stop outside math, or a chat-template token. */
function sentenceEnd(text: string, from: number): number {
  let inMath = false;
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      if (text[i + 1] === '(' || text[i + 1] === '[') inMath = true;
      else if (text[i + 1] === ')' || text[i + 1] === ']') inMath = false;
      i++;
      continue;
    }
    if (c === '$') {
      inMath = !inMath;
      if (text[i + 1] === '$') i++;
    } else if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
    else if (c === '<' && text[i + 1] === '|') return i;
    else if (text.startsWith('\n\n', i)) return i;
    else if (!inMath && depth === 0) {
      if (c === '\n') return i;
      if (c === '.' && !/\d/.test(text[i + 1] ?? '') && (i + 1 >= text.length || /\s/.test(text[i + 1]))) return i;
    }
  }
  return text.length;
}

/** Within an answer sentence that is still prose ("The volume of $V$ is 120"), the part that is the answer. */
function answerWithinSentence(sentence: string): string {
  const prose = proseOutsideText(sentence.replace(MATH_SPAN, ' '));
  const proseWords = words(prose).filter((w) => !CONNECTIVES.has(w.toLowerCase()));
  if (proseWords.length === 0) return sentence;
  const lastIs = sentence.search(/\bis\b(?![\s\S]*\bis\b)/);
  if (lastIs >= 0) return sentence.slice(lastIs + 2).trim();
  const numbers = prose.match(NUMBER_TOKEN) ?? [];
  return proseWords.length > 1 && numbers.length === 1 && !/\$|\\\(/.test(sentence) ? numbers[0] : sentence;
}

/** Prose with `\text{...}` arguments removed: words inside `\text{}` are part of an answer, not a sentence. */
function proseOutsideText(text: string): string {
  return text.replace(/\\(?:text|mbox|textbf|mathrm)\s*\{[^{}]*\}/g, ' ');
}

function lastAnswerPhrase(text: string): ExtractedAnswer | null {
  let match: RegExpExecArray | null = null;
  for (let m = ANSWER_PHRASE.exec(text); m; m = ANSWER_PHRASE.exec(text)) match = m;
  ANSWER_PHRASE.lastIndex = 0;
  if (!match) return null;
  const start = match.index + match[0].length;
  const end = sentenceEnd(text, start);
  let answer = text.slice(start, end).trim().replace(TRAILING_CLAUSE, '');
  answer = answerWithinSentence(answer)
    .replace(/^["'“]|["'”]$/g, '')
    .trim();
  if (answer === '') return null;
  return { text: answer, start, end, method: 'answer-phrase' };
}

/** Text with no answer marker: a bare answer ("3/4", "$1$ and $2$"), or one formula in a short sentence. */
function unmarkedAnswer(text: string): ExtractedAnswer | null {
  const spans = [...text.matchAll(MATH_SPAN)];
  const prose = text.replace(MATH_SPAN, ' ');
  const proseWords = words(proseOutsideText(prose));
  const trimmed = text.trim();
  const start = text.indexOf(trimmed);
  if (spans.length === 0) {
    if (proseWords.length <= 3 && trimmed.length <= 300) {
      return { text: trimmed, start, end: start + trimmed.length, method: 'bare' };
    }
    return null;
  }
  if (spans.length === 1 && proseWords.length <= 15) {
    const span = spans[0];
    return { text: span[0], start: span.index, end: span.index + span[0].length, method: 'sole-formula' };
  }
  const onlyConnectives =
    proseWords.every((w) => CONNECTIVES.has(w.toLowerCase())) && !/[^\s,;.]/.test(prose.replace(/\b(?:and|or)\b/gi, ''));
  if (onlyConnectives) return { text: trimmed, start, end: start + trimmed.length, method: 'bare' };
  return null;
}

function gsm8kHash(text: string): ExtractedAnswer | null {
  const at = text.lastIndexOf('####');
  if (at < 0) return null;
  const start = at + 4;
  const line = text.slice(start).split('\n')[0];
  const answer = line.trim();
  if (answer === '') return null;
  return { text: answer, start: start + line.indexOf(answer), end: start + line.indexOf(answer) + answer.length, method: 'gsm8k-hash' };
}

function lastNumber(text: string): ExtractedAnswer | null {
  let last: RegExpExecArray | null = null;
  for (let m = NUMBER_TOKEN.exec(text); m; m = NUMBER_TOKEN.exec(text)) last = m;
  NUMBER_TOKEN.lastIndex = 0;
  if (!last) return null;
  const value = last[0].replace(/,$/, '');
  return { text: value, start: last.index, end: last.index + value.length, method: 'last-number' };
}

/** GSM8K answers are numbers: an extracted span with words in it ("18 apples", "Soucis : 2,74") keeps its last number. */
function numberWithin(answer: ExtractedAnswer): ExtractedAnswer | null {
  if (words(answer.text).length === 0) return answer;
  const inner = lastNumber(answer.text);
  return inner ? { ...inner, start: answer.start + inner.start, end: answer.start + inner.end, method: answer.method } : null;
}

export function extractAnswer(text: string, mode: ExtractionMode = 'math'): ExtractedAnswer | null {
  if (mode === 'gsm8k') {
    const hash = gsm8kHash(text);
    if (hash) return hash;
  }
  const boxed = lastBoxedAnswer(text);
  const phrase = lastAnswerPhrase(text);
  const marked = boxed && phrase ? (boxed.start >= phrase.start ? boxed : phrase) : (boxed ?? phrase);
  if (mode === 'math') return marked ?? unmarkedAnswer(text);
  // In GSM8K text "$" is money, not math: an unmarked response is read for its last number.
  const bare = !marked && words(text).length === 0 ? unmarkedAnswer(text.replace(/\$/g, ' ')) : null;
  const found = marked ?? bare;
  return (found && numberWithin(found)) ?? lastNumber(text);
}
