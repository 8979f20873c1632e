/**
 * Word problems: the skill the demo teaches. The arithmetic inside is what the base model already does
 * ("$23 + 45 = 68$"); what it lacks is reading a story and choosing the numbers and the operation.
 * Level 4 takes one step, level 5 two. Amounts stay small (at most 20, sums at most 40), inside the arithmetic
 * the base model learned, so what a word problem tests is the reading.
 */
import { apply, symbol } from './arithmetic';
import { choose, type Draft, type Pick } from './problem';

const NAMES = [
  'Ava',
  'Ben',
  'Chen',
  'Dara',
  'Eli',
  'Farah',
  'Gus',
  'Hana',
  'Ivan',
  'Jia',
  'Kofi',
  'Lena',
  'Mateo',
  'Nia',
  'Omar',
  'Priya',
  'Rosa',
  'Sam',
  'Tess',
  'Yuki',
];
const ITEMS = ['apples', 'stickers', 'marbles', 'pencils', 'stamps', 'cookies', 'shells', 'cards', 'books', 'coins', 'beads', 'toy cars'];
const GAINS = ['buys', 'finds', 'is given', 'wins', 'picks up', 'makes'];
const LOSSES = ['gives away', 'loses', 'sells', 'uses', 'gives a friend', 'trades away'];

type Op = 'add' | 'sub';

function step(op: Op, a: number, b: number): string {
  return `$${a} ${symbol(op)} ${b} = ${apply(op, a, b)}$`;
}

/** One change to what someone has: "Ava has 23 marbles. She finds 45 more." */
function oneStep(pick: Pick): Draft {
  const name = choose(pick, NAMES);
  const item = choose(pick, ITEMS);
  const op: Op = pick(0, 1) === 0 ? 'add' : 'sub';
  const a = pick(5, 20);
  const b = op === 'add' ? pick(2, 20) : pick(1, a - 1);
  const change = op === 'add' ? `${name} ${choose(pick, GAINS)} ${b} more` : `${name} ${choose(pick, LOSSES)} ${b} of them`;
  const question = pick(0, 1) === 0 ? `How many ${item} does ${name} have now?` : `How many ${item} does ${name} have after that?`;
  return {
    subject: 'Word problems',
    level: 4,
    question: `${name} has ${a} ${item}. ${change}. ${question}`,
    reasoning: `${op === 'add' ? 'We add' : 'We subtract'}: ${step(op, a, b)}.`,
    answer: String(apply(op, a, b)),
    computation: `${op} ${a} ${b}`,
  };
}

/** Two people's amounts, put together or compared: "How many more cards does Ben have than Nia?" */
function twoPeople(pick: Pick): Draft {
  const first = choose(pick, NAMES);
  let second = choose(pick, NAMES);
  while (second === first) second = choose(pick, NAMES);
  const item = choose(pick, ITEMS);
  const op: Op = pick(0, 1) === 0 ? 'add' : 'sub';
  const a = pick(5, 20);
  const b = op === 'add' ? pick(2, 20) : pick(2, a - 1);
  const question = op === 'add' ? `How many ${item} do they have together?` : `How many more ${item} does ${first} have than ${second}?`;
  return {
    subject: 'Word problems',
    level: 4,
    question: `${first} has ${a} ${item} and ${second} has ${b} ${item}. ${question}`,
    reasoning: `${op === 'add' ? 'We add' : 'We subtract'}: ${step(op, a, b)}.`,
    answer: String(apply(op, a, b)),
    computation: `${op} ${a} ${b}`,
  };
}

/** A gain then a loss (or the reverse): two steps, the second on the first's result. */
function twoSteps(pick: Pick): Draft {
  const name = choose(pick, NAMES);
  const item = choose(pick, ITEMS);
  const gainFirst = pick(0, 1) === 0;
  const a = pick(5, 20);
  let b: number;
  let c: number;
  if (gainFirst) {
    b = pick(2, 12);
    c = pick(1, a + b - 1);
  } else {
    b = pick(1, a - 1);
    c = pick(2, 12);
  }
  const [op1, op2]: [Op, Op] = gainFirst ? ['add', 'sub'] : ['sub', 'add'];
  const mid = apply(op1, a, b);
  const gain = (n: number) => `${choose(pick, GAINS)} ${n} more`;
  const loss = (n: number) => `${choose(pick, LOSSES)} ${n}`;
  const story = gainFirst ? `${name} ${gain(b)}, then ${loss(c)}` : `${name} ${loss(b)}, then ${gain(c)}`;
  return {
    subject: 'Word problems',
    level: 5,
    question: `${name} has ${a} ${item}. ${story}. How many ${item} does ${name} have now?`,
    reasoning: `First ${step(op1, a, b)}. Then ${step(op2, mid, c)}.`,
    answer: String(apply(op2, mid, c)),
    computation: `${op1} ${a} ${b} ${op2} ${c}`,
  };
}

/**
 * Reading without arithmetic (level 1, in the base model's corpus): the answer is a number the story states,
 * next to a distracting sentence that uses the words of word problems. The base model learns the language;
 * the demo's adapter learns to compute with it.
 */
function readAmount(pick: Pick): Draft {
  const name = choose(pick, NAMES);
  let other = choose(pick, NAMES);
  while (other === name) other = choose(pick, NAMES);
  const [item, otherItem] = [choose(pick, ITEMS), choose(pick, ITEMS)];
  const [a, b] = [pick(2, 99), pick(2, 99)];
  const verb = choose(pick, [...GAINS.map((g) => `${g} ${b} more`), ...LOSSES.map((l) => `${l} ${b}`)]);
  const distractor = `${other} ${verb} ${otherItem}`;
  const stated = `${name} has ${a} ${item}`;
  const story = pick(0, 1) === 0 ? `${stated}. ${distractor}.` : `${distractor}. ${stated}.`;
  return {
    subject: 'Reading',
    level: 1,
    question: `${story} How many ${item} does ${name} have?`,
    reasoning: `${stated}.`,
    answer: String(a),
    computation: `read ${a} ${b}`,
  };
}

export const wordProblemSkills = { oneStep, twoPeople, twoSteps, readAmount };
