import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assetStatus, currentLang, nameOf, t, word } from './i18n.js';

/** A browser's saved settings and language preferences, for one test. */
function browser(saved: string | null, languages: string[]): void {
  const items = new Map<string, string>(saved === null ? [] : [['gridwork.lang', saved]]);
  vi.stubGlobal('localStorage', { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => items.set(k, v), removeItem: (k: string) => items.delete(k) });
  vi.stubGlobal('navigator', { languages, language: languages[0] ?? '' });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('currentLang', () => {
  it('is the saved choice, whatever the browser prefers', () => {
    browser('en', ['zh-CN']);
    expect(currentLang()).toBe('en');
    browser('zh', ['en-GB']);
    expect(currentLang()).toBe('zh');
  });

  it('is Chinese, the app language, when nothing was chosen, whatever the browser prefers', () => {
    browser(null, ['zh-TW']);
    expect(currentLang()).toBe('zh');
    browser(null, ['en-US', 'fr-FR']);
    expect(currentLang()).toBe('zh');
  });

  it('is Chinese for a saved value it does not know', () => {
    browser('de', ['de-DE']);
    expect(currentLang()).toBe('zh');
  });
});

describe('in Chinese', () => {
  beforeEach(() => browser('zh', []));

  it('t gives the Chinese string', () => {
    expect(t('closed')).toBe('已结案');
  });

  it('word labels statuses, levels and steps, and leaves an unknown code as it is', () => {
    expect(word('open')).toBe('处置中');
    expect(word('grid')).toBe('网格');
    expect(word('rerouted')).toBe('随网格调整改派');
    expect(word('reopened')).toBe('reopened');
    expect(word('constructor')).toBe('constructor');
  });

  it('assetStatus labels asset statuses, and leaves an unknown one as it is', () => {
    expect(assetStatus('damaged')).toBe('损坏');
    expect(assetStatus('stolen')).toBe('stolen');
    expect(assetStatus(null)).toBe('');
  });

  it('nameOf takes the Chinese name', () => {
    expect(nameOf({ name: '上水井盖', name_en: 'Water manhole cover' })).toBe('上水井盖');
  });
});

describe('in English', () => {
  beforeEach(() => browser('en', []));

  it('t gives the English string', () => {
    expect(t('closed')).toBe('Closed');
  });

  it('nameOf takes the English name, and the Chinese one when there is no English one', () => {
    expect(nameOf({ name: '上水井盖', name_en: 'Water manhole cover' })).toBe('Water manhole cover');
    expect(nameOf({ name: '上水井盖', name_en: '' })).toBe('上水井盖');
    expect(nameOf({ name: '上水井盖', name_en: null })).toBe('上水井盖');
    expect(nameOf({ name: '上水井盖' })).toBe('上水井盖');
  });
});
