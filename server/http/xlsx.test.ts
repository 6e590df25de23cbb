import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { xlsxOf, zipOf } from '../../test/bombs.js';
import { readFirstSheet, type SheetRow } from './xlsx.js';

/** Every row of the first sheet. */
async function rowsOf(bytes: Buffer): Promise<SheetRow[]> {
  const rows: SheetRow[] = [];
  for await (const r of readFirstSheet(bytes)) rows.push(r);
  return rows;
}

describe('readFirstSheet', () => {
  it('reads a workbook written by exceljs: shared and rich text, numbers, booleans, formula results, gaps, the first sheet only', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('first');
    sheet.addRow(['name', 'n', 'ok', 'sum', '', 'far']);
    sheet.addRow(['王秀英', 41.8, true, { formula: 'B2*2', result: 83.6 }, null, 'x']);
    sheet.getCell('A3').value = { richText: [{ text: '文化' }, { text: '路', font: { bold: true } }] };
    sheet.getCell('C5').value = 7;
    book.addWorksheet('second').addRow(['not', 'this']);
    const rows = await rowsOf(Buffer.from(await book.xlsx.writeBuffer()));
    expect(rows.map((r) => [r.row, [...r.cells].map((c) => c ?? null)])).toEqual([
      [1, ['name', 'n', 'ok', 'sum', '', 'far']],
      [2, ['王秀英', '41.8', 'true', '83.6', null, 'x']],
      [3, ['文化路']],
      [5, [null, null, '7']],
    ]);
  });

  it('reads inline strings, and rows and cells without references, in file order', async () => {
    const bytes = xlsxOf({ header: ['a', 'b'], rows: { chunk: '<row><c t="inlineStr"><is><t>x</t></is></c><c><v>1.50</v></c></row><row><c t="b"><v>0</v></c></row>', times: 1 } });
    expect(await rowsOf(bytes)).toEqual([
      { row: 1, cells: ['a', 'b'] },
      { row: 2, cells: ['x', '1.5'] },
      { row: 3, cells: ['false'] },
    ]);
  });

  it('stops inflating when the reader stops', async () => {
    const row = '<row><c><v>1</v></c></row>';
    const bytes = xlsxOf({ header: ['a'], rows: { chunk: row.repeat(40_000), times: 60 } });
    const started = Date.now();
    let n = 0;
    for await (const _ of readFirstSheet(bytes)) if (++n === 1000) break;
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('answers xlsx_unreadable for a zip that is not a workbook, and for broken XML', async () => {
    await expect(rowsOf(zipOf([{ name: 'a.txt', data: 'x' }]))).rejects.toMatchObject({ code: 'xlsx_unreadable' });
    await expect(rowsOf(Buffer.from('PK\x03\x04 nothing'))).rejects.toMatchObject({ code: 'xlsx_unreadable' });
    await expect(rowsOf(xlsxOf({ header: ['a'], rows: { chunk: '<row><c><v>1</c></row>', times: 1 } }))).rejects.toMatchObject({ code: 'xlsx_unreadable' });
  });

  it('answers xlsx_no_worksheet for a workbook without sheets', async () => {
    const book = zipOf([{ name: 'xl/workbook.xml', data: '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>' }]);
    await expect(rowsOf(book)).rejects.toMatchObject({ code: 'xlsx_no_worksheet' });
  });
});
