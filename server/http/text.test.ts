import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeText } from './text.js';

describe('decodeText, the encoding rule of every upload', () => {
  const text = '编码,名称\nA1,井盖\n';
  it('reads UTF-8, keeping its byte-order mark for the reader to skip', () => {
    expect(decodeText(Buffer.from(text))).toBe(text);
    expect(decodeText(Buffer.from('\ufeff' + text))).toBe('\ufeff' + text);
  });
  it('reads UTF-16 by its byte-order mark, both byte orders', () => {
    expect(decodeText(iconv.encode(text, 'utf-16le', { addBOM: true }))).toBe(text);
    expect(decodeText(iconv.encode(text, 'utf-16be', { addBOM: true }))).toBe(text);
  });
  it('reads bytes that are not UTF-8 as GB18030 (what Excel writes in Chinese)', () => {
    expect(decodeText(iconv.encode(text, 'gbk'))).toBe(text);
    expect(decodeText(iconv.encode('𠀀', 'gb18030'))).toBe('𠀀');
  });
  it('uses the encoding a file declares before guessing', () => {
    const big5 = iconv.encode('漢字', 'big5');
    expect(decodeText(big5, 'big5')).toBe('漢字');
    expect(decodeText(big5)).not.toBe('漢字');
  });
});
