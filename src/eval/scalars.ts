import { parseExactNumber, exactEqual, terminates, isRoundingOf, isDecimalCommaOf, toFloat, type ExactNumber } from './numbers';
import { compareExpressions, constantValue } from './symbolic';
import { isReal } from './complex';
import type { Decision } from './compareAnswers';

/**
 * One value against one value: multiple-choice letters, words, numerals in a base, plain numbers (exactly), then
 * expressions through the symbolic check. Plain numbers never go to the CAS: `3` and `3.0001` are settled exactly.
 */

const yes = (rule: string, reason: string): Decision => ({ equal: true, rule, reason });
const no = (rule: string, reason: string): Decision => ({ equal: false, rule, reason });

const CHOICE = /^\(?([A-E])\)?$/;
const BASE_NUMERAL = /^([0-9A-F]+)_\{?(\d+)\}?$/;

/** Words (3+ letters outside LaTeX commands) make an answer text: `odd`, `Evelyn`, `east`. */
function isWordy(text: string): boolean {
  return /[A-Za-z]{3,}/.test(text.replace(/\\[a-zA-Z]+/g, ' '));
}

function textKey(text: string): string {
  return text
    .replace(/\\[a-zA-Z]+/g, '')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
}

function describeNumber(x: ExactNumber): string {
  return x.den === 1n ? `${x.num}` : `${x.num}/${x.den}`;
}

/** A written decimal that is the correct rounding of a value with no finite decimal expansion. */
function roundedDecimal(decimalText: string, exactText: string): Decision | null {
  const decimal = parseExactNumber(decimalText);
  if (!decimal?.isDecimal) return null;
  const exact = parseExactNumber(exactText);
  if (exact) {
    if (terminates(exact)) return null;
    return isRoundingOf(decimal, toFloat(exact))
      ? yes('number-rounded', `${decimalText} is ${describeNumber(exact)} rounded to ${decimal.decimals} places`)
      : null;
  }
  const value = constantValue(exactText);
  if (!value || !isReal(value)) return null;
  const scaled = value.re * 10 ** decimal.decimals;
  if (Math.abs(scaled - Math.round(scaled)) < 1e-6) return null;
  return isRoundingOf(decimal, value.re)
    ? yes('number-rounded', `${decimalText} is ${exactText} rounded to ${decimal.decimals} places`)
    : null;
}

export function compareScalars(g: string, p: string): Decision {
  const gChoice = CHOICE.exec(g);
  const pChoice = CHOICE.exec(p);
  if (gChoice && pChoice) {
    return gChoice[1] === pChoice[1] ? yes('choice', `choice ${gChoice[1]}`) : no('choice', `choice ${gChoice[1]} against ${pChoice[1]}`);
  }
  if (isWordy(g) || isWordy(p)) {
    return textKey(g) === textKey(p) && textKey(g) !== '' ? yes('text', 'same words') : no('text', `text "${g}" against "${p}"`);
  }
  const gBase = BASE_NUMERAL.exec(g);
  const pBase = BASE_NUMERAL.exec(p);
  if (gBase || pBase) {
    const same = gBase && pBase && gBase[1] === pBase[1] && gBase[2] === pBase[2];
    return same ? yes('base-numeral', `${gBase[1]} in base ${gBase[2]}`) : no('base-numeral', `numeral ${g} against ${p}`);
  }
  if (isDecimalCommaOf(g, p) || isDecimalCommaOf(p, g)) return yes('decimal-comma', `${g} and ${p} differ only in the decimal mark`);
  const gNum = parseExactNumber(g);
  const pNum = parseExactNumber(p);
  if (gNum && pNum) {
    if (exactEqual(gNum, pNum)) return yes('number-exact', `both are ${describeNumber(gNum)}`);
    const rounded = roundedDecimal(p, g) ?? roundedDecimal(g, p);
    if (rounded) return rounded;
    return no('number-exact', `${describeNumber(gNum)} ≠ ${describeNumber(pNum)}`);
  }
  const symbolic = compareExpressions(g, p);
  if (symbolic.verdict === 'equal') return yes('symbolic', symbolic.detail);
  const rounded = roundedDecimal(p, g) ?? roundedDecimal(g, p);
  if (rounded) return rounded;
  if (symbolic.verdict === 'different') return no('symbolic', symbolic.detail);
  return no('undecided', `no rule shows these equal (${symbolic.detail})`);
}
