import { extractAnswer, type ExtractedAnswer, type ExtractionMode } from './extract';
import { normaliseAnswer, type NormalisedAnswer } from './normalise';
import { compareAnswers, type Decision } from './compareAnswers';

/**
 * The grader: extract the final answer from each side (a bare answer, a reference solution or a model response),
 * normalise both, compare mathematically. The verdict carries the rule that decided it and a one-line reason, and
 * both extracted spans, so a user can audit any single grade.
 */
export interface Verdict {
  equal: boolean;
  /** The rule that decided, e.g. `number-exact`, `interval`, `equation-factor`, `no-answer`. */
  rule: string;
  reason: string;
  gold: ExtractedAnswer | null;
  pred: ExtractedAnswer | null;
  goldNormalised: string | null;
  predNormalised: string | null;
}

export interface GradeOptions {
  /** `gsm8k` reads `#### N` and falls back to the last number; `math` (default) never guesses. */
  mode?: ExtractionMode;
}

function comparePercent(g: NormalisedAnswer, p: NormalisedAnswer): Decision {
  const plain = compareAnswers(g.text, p.text);
  if (g.percent === p.percent) return plain;
  if (plain.equal) return { ...plain, rule: `percent-sign+${plain.rule}`, reason: `one side writes %; ${plain.reason}` };
  const [percentSide, other] = g.percent ? [g.text, p.text] : [p.text, g.text];
  const asFraction = compareAnswers(`\\frac{${percentSide}}{100}`, other);
  if (asFraction.equal) return { ...asFraction, rule: 'percent-as-fraction', reason: `${percentSide}% = ${other}` };
  return plain;
}

export function gradeAnswer(gold: string, pred: string, options: GradeOptions = {}): Verdict {
  const mode = options.mode ?? 'math';
  const goldAnswer = extractAnswer(gold, mode);
  const predAnswer = extractAnswer(pred, mode);
  const base = { gold: goldAnswer, pred: predAnswer, goldNormalised: null, predNormalised: null };
  if (!goldAnswer) return { ...base, equal: false, rule: 'no-gold-answer', reason: 'no answer found in the gold text' };
  if (!predAnswer) return { ...base, equal: false, rule: 'no-answer', reason: 'no final answer found in the prediction' };
  const g = normaliseAnswer(goldAnswer.text);
  const p = normaliseAnswer(predAnswer.text);
  const normalised = { ...base, goldNormalised: g.text, predNormalised: p.text };
  if (g.text === '' || p.text === '') {
    return {
      ...normalised,
      equal: false,
      rule: 'empty-answer',
      reason: `the ${g.text === '' ? 'gold' : 'predicted'} answer is empty after normalisation`,
    };
  }
  const decision = comparePercent(g, p);
  return { ...normalised, ...decision };
}
