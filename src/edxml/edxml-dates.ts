// edXML dates (QCVN 102:2016 as the vendor SDK writes them): calendar days as `yyyy/MM/dd`, instants as
// `yyyy/MM/dd HH:mm:ss` in Vietnam time (UTC+7, no daylight saving). A calendar day stays a `YYYY-MM-DD`
// string in the model: a JS Date at UTC midnight would shift it by a day for anyone west of Hà Nội.

export type DateOnly = string & { readonly __brand: 'DateOnly' };

const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;
const EDXML_DATE = /^(\d{4})\/(\d{2})\/(\d{2})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const EDXML_TIMESTAMP = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

const isCalendarDay = (y: number, m: number, d: number): boolean => {
  if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
};

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `yyyy/MM/dd` → `YYYY-MM-DD`; `YYYY-MM-DD` is accepted too (flagged by the caller). Undefined if not a real day. */
export function readEdxmlDate(text: string): { date: DateOnly; usualForm: boolean } | undefined {
  const m = EDXML_DATE.exec(text) ?? ISO_DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!isCalendarDay(y, mo, d)) return undefined;
  return { date: `${m[1]}-${m[2]}-${m[3]}` as DateOnly, usualForm: m[0].includes('/') };
}

export const writeEdxmlDate = (date: DateOnly): string => date.replaceAll('-', '/');

/** `YYYY-MM-DD` → DateOnly, or undefined when it is not a real calendar day. */
export function toDateOnly(text: string): DateOnly | undefined {
  const m = ISO_DATE.exec(text);
  if (!m || !isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]))) return undefined;
  return text as DateOnly;
}

/** `yyyy/MM/dd HH:mm:ss` (Vietnam time) → the instant; ISO 8601 with an offset is accepted too. */
export function readEdxmlTimestamp(text: string): { at: Date; usualForm: boolean } | undefined {
  const m = EDXML_TIMESTAMP.exec(text);
  if (m) {
    const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
    if (!isCalendarDay(y, mo, d) || h > 23 || mi > 59 || s > 59) return undefined;
    return { at: new Date(Date.UTC(y, mo - 1, d, h, mi, s) - VIETNAM_OFFSET_MS), usualForm: true };
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const at = new Date(text);
    if (!Number.isNaN(at.getTime())) return { at, usualForm: false };
  }
  return undefined;
}

/** The instant as `yyyy/MM/dd HH:mm:ss` in Vietnam time (seconds precision, as the format allows). */
export function writeEdxmlTimestamp(at: Date): string {
  const v = new Date(at.getTime() + VIETNAM_OFFSET_MS);
  return `${v.getUTCFullYear()}/${pad(v.getUTCMonth() + 1)}/${pad(v.getUTCDate())} ${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}:${pad(v.getUTCSeconds())}`;
}
