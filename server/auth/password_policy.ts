import { zxcvbn, zxcvbnOptions } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

/** The shortest password an account may have. */
export const MIN_PASSWORD_LENGTH = 10;
/** The longest (hashing a megabyte of password is work an attacker could ask for). */
export const MAX_PASSWORD_LENGTH = 200;
/** The least zxcvbn score (0–4) a password must reach: 3 is "safely unguessable" for an online attacker and hard offline. */
export const MIN_PASSWORD_SCORE = 3;

zxcvbnOptions.setOptions({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });

/**
 * What is wrong with a new account's password, in words that say what to do, or undefined when it will do:
 * at least MIN_PASSWORD_LENGTH characters, and not guessable by the checks of zxcvbn (common passwords,
 * keyboard walks like qwertyuiop, sequences like 1234567890, repeats, dates, and the user's own names).
 */
export function passwordProblem(password: string, userInputs: string[] = []): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `The password must have at least ${MIN_PASSWORD_LENGTH} characters; a few unrelated words make a good one.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `The password must have at most ${MAX_PASSWORD_LENGTH} characters.`;
  const result = zxcvbn(password, userInputs.filter(Boolean));
  if (result.score >= MIN_PASSWORD_SCORE) return undefined;
  const hint = result.feedback.warning ? ` (${result.feedback.warning})` : '';
  return `The password is too easy to guess${hint}; use a longer one of a few unrelated words, not a common password, a sequence, a keyboard row or the user's name.`;
}
