// How strong a new password must be (activation, a person's own change): zxcvbn's estimate,
// with the person's own name, username and email as words an attacker tries first. Length
// rules alone pass "matkhau12345"; the estimate refuses it and says why.
import { zxcvbn, zxcvbnOptions } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import { AppError, ErrorCode } from '../errors.js';
import { foldText } from '../util/fold.js';

zxcvbnOptions.setOptions({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });

/** zxcvbn's score 0-4; 3 is "safely unguessable: moderate protection from offline attacks". */
export const MIN_PASSWORD_SCORE = 3;
export const MIN_PASSWORD_LENGTH = 10;

/** Throws BAD_REQUEST (details.password: score and zxcvbn's warning) when the password is too weak. */
export function checkPasswordStrength(password: string, person: { username: string; fullName: string; email: string }): void {
  // The person's words, also without diacritics (how they are typed on a phone).
  const words = [person.username, person.email, person.email.split('@')[0] ?? '', ...foldText(person.fullName).split(/\s+/), ...person.fullName.split(/\s+/)].filter((w) => w.length >= 3);
  const tooShort = password.length < MIN_PASSWORD_LENGTH;
  // Only the first 100 characters are estimated: the estimate is superlinear in length.
  const r = zxcvbn(password.slice(0, 100), words);
  if (tooShort || r.score < MIN_PASSWORD_SCORE) {
    throw new AppError(ErrorCode.BadRequest, tooShort ? `password: at least ${MIN_PASSWORD_LENGTH} characters` : 'password: too easy to guess; add words or characters that are not about you',
      { password: { score: r.score, minScore: MIN_PASSWORD_SCORE, tooShort, warning: r.feedback.warning ?? null } });
  }
}
