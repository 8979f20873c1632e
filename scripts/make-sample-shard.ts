/**
 * Writes the embedded default shard, public/samples/shard.jsonl: a few hundred MetaMathQA-format rows made
 * from templated arithmetic and algebra with computed answers (ours, so it ships without a dataset licence).
 * The same seed always gives the same file; a test checks the committed file equals this output.
 *
 *   node --import tsx scripts/make-sample-shard.ts [--check]
 */
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './lib/generatedFile';
import { sftResponse } from '../src/data/sftTemplate';
import { wordsOf } from '../src/data/textKeys';
import { seededRandom } from '../src/util/random';

export const SAMPLE_SHARD_PATH = fileURLToPath(new URL('../public/samples/shard.jsonl', import.meta.url));
export const SAMPLE_SEED = 20240708;
export const SAMPLE_ROWS = 400;

interface Problem {
  type: string;
  query: string;
  reasoning: string;
  answer: string;
}

type Pick = (lo: number, hi: number) => number;

function gcd(a: number, b: number): number {
  return b === 0 ? Math.abs(a) : gcd(b, a % b);
}

const NAMES = ['Ava', 'Ben', 'Chen', 'Dara', 'Eli', 'Farah', 'Gus', 'Hana', 'Ivan', 'Jia', 'Kofi', 'Lena', 'Mateo', 'Nia', 'Omar', 'Priya'];
const ITEMS = ['apples', 'stickers', 'marbles', 'pencils', 'stamps', 'cookies', 'shells', 'cards'];

const TEMPLATES: ((pick: Pick) => Problem)[] = [
  (pick) => {
    const [a, b, c] = [pick(2, 99), pick(2, 12), pick(2, 12)];
    return {
      type: 'arithmetic',
      query: `What is $${a} + ${b} \\times ${c}$?`,
      reasoning: `Multiplication comes before addition: $${b} \\times ${c} = ${b * c}$. Then $${a} + ${b * c} = ${a + b * c}$.`,
      answer: String(a + b * c),
    };
  },
  (pick) => {
    const [a, b, c] = [pick(20, 200), pick(2, 19), pick(2, 9)];
    return {
      type: 'arithmetic',
      query: `Evaluate $\\left\\lfloor \\frac{${a} - ${b}}{${c}} \\right\\rfloor$.`,
      reasoning: `First $${a} - ${b} = ${a - b}$. Dividing, $${a - b} = ${c} \\cdot ${Math.floor((a - b) / c)} + ${(a - b) % c}$, so the floor is ${Math.floor((a - b) / c)}.`,
      answer: String(Math.floor((a - b) / c)),
    };
  },
  (pick) => {
    const name = NAMES[pick(0, NAMES.length - 1)];
    const item = ITEMS[pick(0, ITEMS.length - 1)];
    const [start, bags, per, given] = [pick(3, 40), pick(2, 9), pick(3, 15), pick(1, 20)];
    const total = start + bags * per - given;
    return {
      type: 'word_problem',
      query: `${name} has ${start} ${item}. ${name} buys ${bags} packs with ${per} ${item} in each pack, then gives ${given} ${item} away. How many ${item} does ${name} have now?`,
      reasoning: `The packs hold ${bags} * ${per} = ${bags * per} ${item}. After buying, ${name} has ${start} + ${bags * per} = ${start + bags * per}. After giving ${given} away, ${start + bags * per} - ${given} = ${total}.`,
      answer: String(total),
    };
  },
  (pick) => {
    const name = NAMES[pick(0, NAMES.length - 1)];
    const [hours, rate, days] = [pick(2, 8), pick(9, 30), pick(2, 6)];
    return {
      type: 'word_problem',
      query: `${name} works ${hours} hours a day for ${days} days and earns $${rate} per hour. How many dollars does ${name} earn in total?`,
      reasoning: `Per day ${name} earns ${hours} * ${rate} = ${hours * rate} dollars. Over ${days} days that is ${hours * rate} * ${days} = ${hours * rate * days} dollars.`,
      answer: String(hours * rate * days),
    };
  },
  (pick) => {
    const [a, x, b] = [pick(2, 12), pick(-15, 15), pick(-30, 30)];
    const c = a * x + b;
    const sign = b < 0 ? `- ${-b}` : `+ ${b}`;
    return {
      type: 'linear_equation',
      query: `Solve for $x$: $${a}x ${sign} = ${c}$.`,
      reasoning: `Subtract ${b} from both sides: $${a}x = ${c} - (${b}) = ${c - b}$. Divide by ${a}: $x = ${c - b} / ${a} = ${x}$.`,
      answer: String(x),
    };
  },
  (pick) => {
    const [r, s] = [pick(-9, 9), pick(-9, 9)];
    const sum = r + s;
    const product = r * s;
    const fmt = (n: number, v: string) => (n === 0 ? '' : n < 0 ? ` - ${-n === 1 ? '' : -n}${v}` : ` + ${n === 1 ? '' : n}${v}`);
    return {
      type: 'quadratic',
      query: `What is the product of the roots of $x^2${fmt(-sum, 'x')}${product === 0 ? '' : product < 0 ? ` - ${-product}` : ` + ${product}`} = 0$?`,
      reasoning: `The roots are ${r} and ${s}, since $(x - (${r}))(x - (${s}))$ expands to the given polynomial. Their product is $${r} \\cdot ${s} = ${product}$.`,
      answer: String(product),
    };
  },
  (pick) => {
    const [sum, diff] = [pick(10, 80), pick(1, 9) * 2];
    const s = sum % 2 === 0 ? sum : sum + 1;
    const x = (s + diff) / 2;
    const y = (s - diff) / 2;
    return {
      type: 'linear_system',
      query: `If $x + y = ${s}$ and $x - y = ${diff}$, what is the value of $x \\cdot y$?`,
      reasoning: `Adding the equations gives $2x = ${s + diff}$, so $x = ${x}$. Then $y = ${s} - ${x} = ${y}$, and $x \\cdot y = ${x} \\cdot ${y} = ${x * y}$.`,
      answer: String(x * y),
    };
  },
  (pick) => {
    const [p, base] = [pick(1, 19) * 5, pick(2, 40) * 20];
    return {
      type: 'percent',
      query: `What is ${p}% of ${base}?`,
      reasoning: `${p}% of ${base} is $\\frac{${p}}{100} \\cdot ${base} = ${(p * base) / 100}$.`,
      answer: String((p * base) / 100),
    };
  },
  (pick) => {
    const [k, a, b] = [pick(2, 12), pick(1, 20), pick(2, 21)];
    const g = gcd(a, b);
    const num = a / g,
      den = b / g;
    const answer = den === 1 ? String(num) : `\\frac{${num}}{${den}}`;
    return {
      type: 'fractions',
      query: `Simplify the fraction $\\frac{${a * k}}{${b * k}}$.`,
      reasoning: `The greatest common divisor of ${a * k} and ${b * k} is ${g * k}. Dividing both by ${g * k} gives $${answer}$.`,
      answer,
    };
  },
  (pick) => {
    const n = pick(5, 150);
    return {
      type: 'series',
      query: `What is the sum of all integers from 1 to ${n}?`,
      reasoning: `The sum $1 + 2 + \\dots + n$ equals $\\frac{n(n+1)}{2}$. With $n = ${n}$ that is $\\frac{${n} \\cdot ${n + 1}}{2} = ${(n * (n + 1)) / 2}$.`,
      answer: String((n * (n + 1)) / 2),
    };
  },
  (pick) => {
    const [n, d] = [pick(100, 9999), pick(3, 13)];
    return {
      type: 'number_theory',
      query: `What is the remainder when ${n} is divided by ${d}?`,
      reasoning: `${n} = ${d} * ${Math.floor(n / d)} + ${n % d}, so the remainder is ${n % d}.`,
      answer: String(n % d),
    };
  },
  (pick) => {
    const [w, h] = [pick(2, 40), pick(2, 40)];
    return {
      type: 'geometry',
      query: `A rectangle is ${w} cm wide and ${h} cm tall. What is its perimeter in centimeters plus its area in square centimeters?`,
      reasoning: `The perimeter is 2 * (${w} + ${h}) = ${2 * (w + h)} cm and the area is ${w} * ${h} = ${w * h} square cm. Their sum is ${2 * (w + h)} + ${w * h} = ${2 * (w + h) + w * h}.`,
      answer: String(2 * (w + h) + w * h),
    };
  },
];

/**
 * The sample rows in MetaMathQA's layout. Queries never repeat word for word (signs and punctuation ignored,
 * as deduplication ignores them), so the sample holds no duplicates for the lab to remove.
 */
export function makeSampleRows(seed = SAMPLE_SEED, count = SAMPLE_ROWS): Record<string, string>[] {
  const next = seededRandom(seed);
  const pick: Pick = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const seen = new Set<string>();
  const rows: Record<string, string>[] = [];
  while (rows.length < count) {
    const problem = TEMPLATES[rows.length % TEMPLATES.length](pick);
    const key = wordsOf(problem.query).join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({
      query: problem.query,
      response: sftResponse(problem.reasoning, problem.answer),
      type: problem.type,
      original_question: problem.query,
    });
  }
  return rows;
}

export function sampleShardText(seed = SAMPLE_SEED, count = SAMPLE_ROWS): string {
  return (
    makeSampleRows(seed, count)
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n'
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = sampleShardText();
  writeOrCheck(SAMPLE_SHARD_PATH, text, `${SAMPLE_ROWS} rows`);
}
