import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';

/**
 * The text of uploaded bytes, the one rule for every file people send (asset CSVs, resident sheets, a
 * Shapefile's table): the encoding the file declares when it declares one (a Shapefile's .cpg); else UTF-16
 * by its byte-order mark (Excel's "Unicode text"); else UTF-8 when the bytes are valid UTF-8 (a UTF-8
 * byte-order mark is kept for the readers to skip); else GB18030, which is what Excel and most Chinese tools
 * write when not told UTF-8 (GBK is a subset of it).
 */
export function decodeText(bytes: Buffer, declared?: string): string {
  if (declared) return iconv.decode(bytes, declared);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return iconv.decode(bytes, 'utf-16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return iconv.decode(bytes, 'utf-16be');
  return isUtf8(bytes) ? bytes.toString('utf8') : iconv.decode(bytes, 'gb18030');
}
