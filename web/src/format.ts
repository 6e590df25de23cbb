/** How the pages write times, months, rates and figures for people. */
import { currentLang, type Lang } from './i18n.js';

/** The office's time zone: deadlines are counted in its working hours. */
const OFFICE_TIME_ZONE = 'Asia/Shanghai';

/** An ISO time in office time (Asia/Shanghai), in the language's style; a dash when there is none. */
export function when(iso: string | null | undefined, lang: Lang = currentLang()): string {
  // Office time wherever the browser is: a deadline of 10:00 should read 10:00 on a phone set to another zone too.
  return iso ? new Date(iso).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: OFFICE_TIME_ZONE }) : '—';
}

/** The month of a date in the browser's time zone, YYYY-MM (the month input's value). */
export function monthOf(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`;
}

/** A 0–1 rate as a percentage with one decimal (`87.5%`); a dash when there is none. */
export function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

/** An area for people: m² up to a tenth of a km², km² above (`1,234 m²`, `3.42 km²`). */
export function areaText(m2: number): string {
  return m2 < 100_000 ? `${Math.round(m2).toLocaleString('en')} m²` : `${(m2 / 1e6).toFixed(2)} km²`;
}

/** A figure of a table: a count as it is, a rate as a percentage, a yes/no as ✔/✘, nothing as a dash. */
export function figureText(value: number | boolean | null | undefined, rate = false): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? '✔' : '✘';
  return rate ? percent(value) : String(value);
}

/**
 * A deadline as people say it, against now: `还剩 3 小时` / `due in 3 h`, `超期 2 天` / `2 d overdue`
 * (hours under two days, days above; under an hour, minutes); a dash when there is none.
 */
export function dueText(dueIso: string | null | undefined, now: number = Date.now(), lang: Lang = currentLang()): string {
  if (!dueIso) return '—';
  const ms = Date.parse(dueIso) - now;
  const mins = Math.abs(ms) / 60_000;
  const [n, unitZh, unitEn] = mins < 60 ? [Math.max(1, Math.round(mins)), '分钟', 'min'] : mins < 48 * 60 ? [Math.round(mins / 60), '小时', 'h'] : [Math.round(mins / 1440), '天', 'd'];
  if (lang === 'zh') return ms >= 0 ? `还剩 ${n} ${unitZh}` : `超期 ${n} ${unitZh}`;
  return ms >= 0 ? `due in ${n} ${unitEn}` : `${n} ${unitEn} overdue`;
}

/** A file size for people: bytes up to a kilobyte, KB below a megabyte, MB with one decimal above (`350 KB`, `1.2 MB`). */
export function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** An ISO time in office time to the minute, for a phone (`2026/3/1 10:05`, `1 Mar 2026, 10:05`); a dash when there is none. */
export function whenShort(iso: string | null | undefined, lang: Lang = currentLang()): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: OFFICE_TIME_ZONE, year: 'numeric', month: lang === 'zh' ? 'numeric' : 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });
}
