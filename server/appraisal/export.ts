import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import type { AppraisalRow } from './service.js';

/** Columns of the exported table, in order: [field, Chinese header, English header]. */
export const EXPORT_COLUMNS: [keyof AppraisalRow, string, string][] = [
  ['rank', '排名', 'Rank'],
  ['code', '编码', 'Code'],
  ['name', '名称', 'Name'],
  ['reported', '上报数', 'Reported'],
  ['found', '主动发现数', 'Found (own staff)'],
  ['missed', '漏报数', 'Missed discoveries'],
  ['handled', '处置数', 'Handled'],
  ['due', '应结案数', 'Due'],
  ['deferred', '延期数', 'Deferred'],
  ['closed', '结案数', 'Closed'],
  ['closed_on_time', '按期结案数', 'Closed on time'],
  ['closure_rate', '结案率', 'Closure rate'],
  ['on_time_rate', '按期结案率', 'On-time closure rate'],
  ['rework', '返工数', 'Rework'],
  ['overdue', '超期数', 'Overdue now'],
  ['avg_handling_hours', '平均处置时长(小时)', 'Average handling hours'],
  ['rated', '群众评价数', 'Rated by residents'],
  ['satisfied', '满意数', 'Satisfied'],
  ['satisfaction_rate', '群众满意率', 'Public satisfaction rate'],
  ['patrol_coverage', '巡查覆盖率', 'Patrol coverage'],
  ['target_met', '达标', 'Target met'],
];

const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : v);

/** The appraisal as CSV (UTF-8 with BOM so that spreadsheet programs read Chinese correctly). */
export function appraisalCsv(rows: AppraisalRow[]): string {
  const header = EXPORT_COLUMNS.map(([, zh, en]) => `${zh} ${en}`);
  const body = rows.map((r) => EXPORT_COLUMNS.map(([field]) => cell(r[field])));
  return '\ufeff' + stringify([header, ...body]);
}

/** The appraisal as an XLSX workbook: one sheet of rows and one of the definitions. */
export async function appraisalXlsx(title: string, rows: AppraisalRow[], definitions: Record<string, string>): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Gridwork';
  const sheet = book.addWorksheet('appraisal');
  sheet.addRow([title]);
  sheet.addRow(EXPORT_COLUMNS.map(([, zh, en]) => `${zh} ${en}`));
  for (const r of rows) sheet.addRow(EXPORT_COLUMNS.map(([field]) => cell(r[field])));
  sheet.getRow(2).font = { bold: true };
  for (const field of ['closure_rate', 'on_time_rate', 'satisfaction_rate', 'patrol_coverage'] as const) {
    sheet.getColumn(EXPORT_COLUMNS.findIndex(([f]) => f === field) + 1).numFmt = '0.00%';
  }
  const defs = book.addWorksheet('definitions');
  for (const [k, v] of Object.entries(definitions)) defs.addRow([k, v]);
  return Buffer.from(await book.xlsx.writeBuffer());
}
