import { describe, expect, it } from 'vitest';
import { MIN_PASSWORD_LENGTH, passwordProblem } from './password_policy.js';

describe('the password policy', () => {
  it('refuses short, common, sequential, keyboard-row and name-based passwords', () => {
    for (const bad of ['1234567890', 'abcdefghij', 'qwertyuiop', 'password123', 'aaaaaaaaaaaa', 'iloveyou2026', 'short']) {
      expect(passwordProblem(bad), bad).toBeDefined();
    }
    expect(passwordProblem('zhangwei2026', ['zhangwei'])).toBeDefined();
    expect(passwordProblem('abc')).toMatch(new RegExp(`at least ${MIN_PASSWORD_LENGTH} characters`));
    expect(passwordProblem('x'.repeat(201))).toMatch(/at most 200/);
  });

  it('takes a long passphrase of unrelated words', () => {
    for (const good of ['lantern-river-copper-7', 'Shenhe grid chief notebook', 'maple47!harbour#glass']) expect(passwordProblem(good), good).toBeUndefined();
  });
});
