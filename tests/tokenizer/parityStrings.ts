import { readFileSync } from 'node:fs';
import { seededRandom } from '../../src/util/random';
import { sharedData } from '../sharedData';

/** Hand-written strings that stress the parts where tokenizers differ: unicode, digits, whitespace, code, math. */
export const HAND_WRITTEN: string[] = [
  'Solve $x^2 + 3x - 4 = 0$. The roots are $\\frac{-3 \\pm \\sqrt{9+16}}{2}$, i.e. $\\boxed{1}$ and $-4$.',
  '∫_0^∞ e^{-x²} dx = √π/2 ≈ 0.886227; ∑_{k=1}^{n} k = n(n+1)/2; ∀ε>0 ∃δ>0',
  '\\begin{align*} f(x) &= \\left(\\dfrac{x}{2}\\right)^{3} \\\\ &\\le 10^{-3} \\end{align*}',
  '12345678901234567890 3.14159 1,000,000 1e-10 0x1F 007 -42 +3.5e+8 ½ ⅓ ² ٣ ๕ Ⅻ',
  '  leading and trailing spaces   ',
  'tabs\tand\nnewlines\r\n\r\nCRLF\n\n\n   \n\t\t\n',
  'def f(x):\n    return x**2  # square\n\n\nprint(f(3))\n',
  'const s = `héllo ${name}`; // naïve café — “quotes” ‘single’ …',
  'for (int i = 0; i < n; ++i) { a[i] += b[i] * c; }',
  '👩‍👩‍👧‍👦 🏳️‍🌈 🇺🇸 😶‍🌫️ 🦙🦙🦙',
  '日本語のテキスト、한국어 텍스트, مرحبا بالعالم, नमस्ते दुनिया, สวัสดีชาวโลก, Привет мир, Ελληνικά',
  'e\u0301 a\u0308 Å ǅ ﬁ Ω K µ',
  '\u00a0nbsp\u2009thin\u3000ideographic\u0085nel\u200bzw',
  '\u0001\u0002\u007f\u001b[0m',
  "I'LL DON'T we're they've it's 'tis Y'ALL o'clock",
  '<s>[INST] What is 2+2? [/INST] 4</s>',
  '<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n',
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>',
  '<|endoftext|> text after end <unk> <pad>',
  'a'.repeat(700),
  ' '.repeat(100),
  '='.repeat(300) + '\n' + '-'.repeat(77),
  '1'.repeat(50),
  '',
  ' ',
  '\n',
];

/** Text with U+FEFF (byte order mark), which SentencePiece vocabularies have a token for. */
export const WITH_BOM: string[] = ['\ufeff', 'a\ufeffb', '\ufeff\ufeff x'];

/** The first few GSM8K test questions and answers and MATH-500 solutions: the text the lab actually tokenizes. */
export function mathSamples(count: number): string[] {
  const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(0, count);
  const gsm = lines(sharedData('gsm8k', 'test.jsonl')).map((l) => JSON.parse(l) as { question: string; answer: string });
  const math = lines(sharedData('math500', 'test.jsonl')).map((l) => JSON.parse(l) as { problem: string; solution: string });
  return [...gsm.flatMap((r) => [r.question, r.answer]), ...math.flatMap((r) => [r.problem, r.solution])];
}

const POOL = [
  ...'abcXYZ019 .,;:!?\'"-_()[]{}<>/\\$^+=*&%#@~`|',
  ' ',
  ' ',
  '  ',
  '\n',
  '\n\n',
  '\t',
  '\r\n',
  '\u00a0',
  '\u3000',
  'é',
  'ß',
  'ø',
  'Ж',
  'λ',
  'ا',
  'क',
  '中',
  '文',
  'あ',
  '한',
  '😀',
  '🦙',
  '\u0301',
  '½',
  '²',
  '٣',
  "'s",
  "'LL",
  '<s>',
  '</s>',
  '<|im_end|>',
  '▁',
  'Ġ',
];

/** Random strings over a pool chosen to hit pre-tokenizer edge cases; the same seed gives the same strings. */
export function randomStrings(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = Math.floor(random() * 40);
    let s = '';
    for (let j = 0; j < length; j++) s += POOL[Math.floor(random() * POOL.length)];
    out.push(s);
  }
  return out;
}
