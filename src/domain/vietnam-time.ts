// Registers run by the calendar year in Vietnam (UTC+7, no daylight saving): a document received at
// 00:30 on 1 January in Hà Nội is the first of the new year even though it is still 31 December in UTC.
const OFFSET_MS = 7 * 60 * 60 * 1000;

const shifted = (at: Date): Date => new Date(at.getTime() + OFFSET_MS);

export const vietnamYear = (at: Date): number => shifted(at).getUTCFullYear();

/** `YYYY-MM-DD` of the Vietnam calendar day containing `at`. */
export const vietnamDate = (at: Date): string => shifted(at).toISOString().slice(0, 10);

/** ISO 8601 with the +07:00 offset, as Phụ lục I writes signing times: 2026-11-22T09:15:00+07:00. */
export const vietnamIso = (at: Date): string => `${shifted(at).toISOString().slice(0, 19)}+07:00`;

/** The UTC instant at which the Vietnam calendar day `YYYY-MM-DD` starts. */
export const startOfVietnamDay = (date: string): Date => new Date(Date.parse(`${date}T00:00:00+07:00`));

export interface Clock {
  now(): Date;
}
