/**
 * Writes public/samples/problems.jsonl: the lab's embedded default evaluation set, a few dozen problems in
 * MATH-500 format (problem, solution ending in \boxed{}, answer, subject, level, unique_id), generated from our
 * own templates with computed answers. Deterministic for its seed.
 *
 *   npx tsx scripts/make-sample-problems.ts          # (re)write the file
 *   npx tsx scripts/make-sample-problems.ts --check  # exit 1 if the file differs from the generator's output
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../src/util/random';

export const SAMPLE_PROBLEMS_PATH = fileURLToPath(new URL('../public/samples/problems.jsonl', import.meta.url));
export const SAMPLE_PROBLEMS_SEED = 20240707;
const PER_TEMPLATE = 4;

export interface SampleProblem {
  problem: string;
  solution: string;
  answer: string;
  subject: string;
  level: number;
  unique_id: string;
}

type Draft = Omit<SampleProblem, 'unique_id'>;
type Rand = (lo: number, hi: number) => number;

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

/** p/q in lowest terms as LaTeX: `3`, `-\frac{2}{5}`. */
function frac(p: number, q: number): string {
  if (q < 0) [p, q] = [-p, -q];
  const g = gcd(p, q) || 1;
  const [n, d] = [p / g, q / g];
  if (d === 1) return String(n);
  return `${n < 0 ? '-' : ''}\\frac{${Math.abs(n)}}{${d}}`;
}

/** √n simplified: `4\sqrt{2}`, `\sqrt{13}`, `5`. */
function radical(n: number): string {
  let outside = 1;
  let inside = n;
  for (let k = 2; k * k <= inside; k++) {
    while (inside % (k * k) === 0) {
      inside /= k * k;
      outside *= k;
    }
  }
  if (inside === 1) return String(outside);
  return `${outside === 1 ? '' : outside}\\sqrt{${inside}}`;
}

const signed = (n: number): string => (n < 0 ? `- ${-n}` : `+ ${n}`);

/** Monic polynomial from coefficients, highest power first (`[1, -4, 0]` → `x^2 - 4x`): zero terms left out. */
function polynomial(coefficients: number[]): string {
  const degree = coefficients.length - 1;
  const power = (k: number) => (k === 0 ? '' : k === 1 ? 'x' : `x^${k}`);
  const terms = coefficients.map((c, i) => {
    const k = degree - i;
    if (i === 0) return power(k);
    if (c === 0) return '';
    return ` ${c < 0 ? '-' : '+'} ${Math.abs(c) === 1 && k > 0 ? '' : Math.abs(c)}${power(k)}`;
  });
  return terms.join('');
}

const TEMPLATES: ((r: Rand) => Draft)[] = [
  (r) => {
    const a = r(2, 9);
    const b = r(-20, 20);
    const c = r(-20, 20);
    const x = frac(c - b, a);
    return {
      subject: 'Algebra',
      level: 1,
      problem: `Solve for $x$: $${a}x ${signed(b)} = ${c}$.`,
      solution: `${b < 0 ? `Adding ${-b} to` : `Subtracting ${b} from`} both sides gives $${a}x = ${c - b}$, so $x = ${frac(c - b, a)}$. The answer is $\\boxed{${x}}$.`,
      answer: x,
    };
  },
  (r) => {
    const [p, q, s, t] = [r(1, 9), r(2, 12), r(1, 9), r(2, 12)];
    const sum = frac(p * t + s * q, q * t);
    return {
      subject: 'Prealgebra',
      level: 2,
      problem: `Compute $\\frac{${p}}{${q}} + \\frac{${s}}{${t}}$. Express your answer as a common fraction in lowest terms (or an integer).`,
      solution: `Over the common denominator ${q * t}, the sum is $\\frac{${p * t} + ${s * q}}{${q * t}} = \\frac{${p * t + s * q}}{${q * t}} = \\boxed{${sum}}$.`,
      answer: sum,
    };
  },
  (r) => {
    const [base, exp, mod] = [r(2, 12), r(20, 99), r(5, 13)];
    // Residues of base^1, base^2, ... until one repeats: a pre-period, then a cycle.
    const residues: number[] = [];
    let value = base % mod;
    while (!residues.includes(value)) {
      residues.push(value);
      value = (value * base) % mod;
    }
    const start = residues.indexOf(value);
    const period = residues.length - start;
    const index = exp - 1 < start ? exp - 1 : start + ((exp - 1 - start) % period);
    const answer = residues[index];
    const listed = residues.map((v, i) => `${base}^{${i + 1}} \\equiv ${v}`).join(', ');
    return {
      subject: 'Number Theory',
      level: 3,
      problem: `What is the remainder when $${base}^{${exp}}$ is divided by $${mod}$?`,
      solution: `Modulo ${mod}: $${listed}$, and then $${base}^{${residues.length + 1}} \\equiv ${value}$ repeats $${base}^{${start + 1}}$, so from exponent ${start + 1} on the residues repeat every ${period}. Exponent ${exp} falls at position ${index + 1} of the list, so $${base}^{${exp}} \\equiv ${answer} \\pmod{${mod}}$. The remainder is $\\boxed{${answer}}$.`,
      answer: String(answer),
    };
  },
  (r) => {
    const r1 = r(-9, 9);
    let r2 = r(-9, 9);
    if (r2 === r1) r2 = r1 + 3;
    const [lo, hi] = [Math.min(r1, r2), Math.max(r1, r2)];
    const b = -(r1 + r2);
    const c = r1 * r2;
    const poly = `${polynomial([1, b, c])} = 0`;
    return {
      subject: 'Algebra',
      level: 3,
      problem: `Find all solutions of $${poly}$. Enter all the solutions, separated by commas.`,
      solution: `The quadratic factors as $(x ${signed(-r1)})(x ${signed(-r2)}) = 0$, so the solutions are $\\boxed{${lo}, ${hi}}$.`,
      answer: `${lo}, ${hi}`,
    };
  },
  (r) => {
    const [a, b, c] = [r(2, 7), r(-15, 15), r(-15, 15)];
    const bound = frac(c - b, a);
    return {
      subject: 'Algebra',
      level: 3,
      problem: `Find all $x$ with $${a}x ${signed(b)} < ${c}$. Express your answer in interval notation.`,
      solution: `${b < 0 ? `Adding ${-b}` : `Subtracting ${b}`} gives $${a}x < ${c - b}$; dividing by the positive number ${a} keeps the direction, so $x < ${bound}$, which is $\\boxed{(-\\infty, ${bound})}$.`,
      answer: `(-\\infty, ${bound})`,
    };
  },
  (r) => {
    const [x1, y1, x2, y2] = [r(-10, 10), r(-10, 10), r(-10, 10), r(-10, 10)];
    const mid = `\\left(${frac(x1 + x2, 2)}, ${frac(y1 + y2, 2)}\\right)`;
    return {
      subject: 'Algebra',
      level: 2,
      problem: `What is the midpoint of the segment with endpoints $(${x1}, ${y1})$ and $(${x2}, ${y2})$? Express your answer as an ordered pair.`,
      solution: `The midpoint averages the coordinates: $\\left(\\frac{${x1} ${signed(x2)}}{2}, \\frac{${y1} ${signed(y2)}}{2}\\right) = \\boxed{${mid}}$.`,
      answer: mid,
    };
  },
  (r) => {
    const [x1, y1] = [r(-8, 8), r(-8, 8)];
    const [dx, dy] = [r(1, 9), r(1, 9)];
    const d = radical(dx * dx + dy * dy);
    return {
      subject: 'Algebra',
      level: 3,
      problem: `What is the distance between $(${x1}, ${y1})$ and $(${x1 + dx}, ${y1 + dy})$? Express your answer in simplest radical form.`,
      solution: `By the distance formula the distance is $\\sqrt{${dx}^2 + ${dy}^2} = \\sqrt{${dx * dx + dy * dy}} = \\boxed{${d}}$.`,
      answer: d,
    };
  },
  (r) => {
    const n = r(6, 14);
    const k = r(2, 4);
    let c = 1;
    for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
    return {
      subject: 'Counting & Probability',
      level: 2,
      problem: `In how many ways can a committee of ${k} people be chosen from a club of ${n} people?`,
      solution: `Order does not matter, so the count is $\\binom{${n}}{${k}} = ${c}$. The answer is $\\boxed{${c}}$.`,
      answer: String(c),
    };
  },
  (r) => {
    const [g, y] = [r(2, 7), r(2, 7)];
    const total = g + y;
    const p = frac(g * (g - 1), total * (total - 1));
    return {
      subject: 'Counting & Probability',
      level: 3,
      problem: `A bag holds ${g} red marbles and ${y} blue marbles. Two marbles are drawn without replacement. What is the probability that both are red? Express your answer as a common fraction.`,
      solution: `The first marble is red with probability $\\frac{${g}}{${total}}$ and then the second with probability $\\frac{${g - 1}}{${total - 1}}$, so the probability is $\\frac{${g * (g - 1)}}{${total * (total - 1)}} = \\boxed{${p}}$.`,
      answer: p,
    };
  },
  (r) => {
    const [a, b, c] = [r(-5, 5), r(-5, 5), r(-5, 5)];
    const p = -(a + b + c);
    const q = a * b + b * c + c * a;
    const s = -a * b * c;
    const sumSquares = p * p - 2 * q;
    return {
      subject: 'Intermediate Algebra',
      level: 4,
      problem: `Let $r$, $s$, $t$ be the roots of $${polynomial([1, p, q, s])} = 0$. Find $r^2 + s^2 + t^2$.`,
      solution: `By Vieta's formulas, $r + s + t = ${-p}$ and $rs + st + tr = ${q}$. Then $r^2 + s^2 + t^2 = (r+s+t)^2 - 2(rs+st+tr) = ${p * p} ${signed(-2 * q)} = \\boxed{${sumSquares}}$.`,
      answer: String(sumSquares),
    };
  },
  (r) => {
    const a = r(-6, 6);
    const b = a + r(1, 8);
    const domain = `[${a}, ${b}) \\cup (${b}, \\infty)`;
    return {
      subject: 'Intermediate Algebra',
      level: 5,
      problem: `Find the domain of $f(x) = \\frac{\\sqrt{x ${signed(-a)}}}{x ${signed(-b)}}$. Express your answer in interval notation.`,
      solution: `The square root needs $x \\ge ${a}$ and the denominator needs $x \\ne ${b}$. Since $${b} > ${a}$, the domain is $\\boxed{${domain}}$.`,
      answer: domain,
    };
  },
];

const SLUG: Record<string, string> = {
  Algebra: 'algebra',
  Prealgebra: 'prealgebra',
  'Number Theory': 'number_theory',
  'Counting & Probability': 'counting_and_probability',
  'Intermediate Algebra': 'intermediate_algebra',
};

export function makeSampleProblems(seed = SAMPLE_PROBLEMS_SEED): SampleProblem[] {
  const next = seededRandom(seed);
  const rand: Rand = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const problems: SampleProblem[] = [];
  TEMPLATES.forEach((template, t) => {
    for (let k = 0; k < PER_TEMPLATE; k++) {
      const draft = template(rand);
      problems.push({ ...draft, unique_id: `sample/${SLUG[draft.subject]}/${t * PER_TEMPLATE + k + 1}.json` });
    }
  });
  return problems;
}

export function sampleProblemsText(seed = SAMPLE_PROBLEMS_SEED): string {
  return makeSampleProblems(seed)
    .map((p) => JSON.stringify({ problem: p.problem, solution: p.solution, answer: p.answer, subject: p.subject, level: p.level, unique_id: p.unique_id }))
    .join('\n') + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = sampleProblemsText();
  if (process.argv.includes('--check')) {
    const same = readFileSync(SAMPLE_PROBLEMS_PATH, 'utf8') === text;
    console.log(same ? 'public/samples/problems.jsonl is up to date' : 'public/samples/problems.jsonl differs from the generator');
    process.exit(same ? 0 : 1);
  }
  writeFileSync(SAMPLE_PROBLEMS_PATH, text);
  console.log(`wrote ${text.trim().split('\n').length} problems to ${SAMPLE_PROBLEMS_PATH}`);
}
