import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api.js';
import { errorText } from './error_text.js';

/** A browser whose saved language is `lang`. */
function lang(lang: 'zh' | 'en'): void {
  vi.stubGlobal('localStorage', { getItem: () => lang, setItem: () => undefined, removeItem: () => undefined });
  vi.stubGlobal('navigator', { languages: [], language: '' });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('errorText in Chinese', () => {
  beforeEach(() => lang('zh'));

  it('gives the message of a known problem code with its params', () => {
    const err = new ApiError(429, 'Too many reports', '/api/public/incidents', { code: 'too_many_reports', params: { limit: 20 } });
    expect(errorText(err)).toBe('上报太频繁了（每小时最多 20 次），请稍后再试，或拨打热线电话');
  });

  it('never shows the English detail of a code the table does not know', () => {
    const err = new ApiError(409, 'The case is closed; it cannot be supported.', '/x', { code: 'some_new_code' });
    expect(errorText(err)).toBe('提交没有成功，请检查填写的内容后重试');
    expect(errorText(new ApiError(502, 'Bad Gateway', '/x'))).toBe('服务暂时出了问题，请稍后重试');
    expect(errorText(new ApiError(404, 'Not Found', '/x'))).toBe('没有找到');
  });

  it('says the network failed for a lost connection', () => {
    expect(errorText(new TypeError('Failed to fetch'))).toBe('网络连接失败，请检查网络后重试');
    expect(errorText(new ApiError(0, 'the upload failed (network)', '/x'))).toBe('网络连接失败，请检查网络后重试');
  });
});

describe('errorText in English', () => {
  beforeEach(() => lang('en'));

  it("shows the server's detail of an unknown code, which names the fix", () => {
    expect(errorText(new ApiError(409, 'The case is closed; it cannot be supported.', '/x', { code: 'some_new_code' }))).toBe('The case is closed; it cannot be supported.');
  });
});
