// Sổ đăng ký văn bản (Nghị định 30/2020, art. 15, 22 and Phụ lục IV).
// Incoming: one series per agency and calendar year, shared by paper and electronic documents.
// Outgoing: one series for all types, or one per type (the agency chooses); classified documents always
// have their own series.
import type { OutgoingSeriesMode } from './agency.ts';
import type { Confidentiality, Direction } from './document.ts';
import { isClassified } from './document.ts';
import { typeAbbreviation, normaliseTypeName } from './document-types.ts';

export interface Register {
  readonly id: string;
  readonly agencyOrganId: string;
  readonly direction: Direction;
  readonly seriesKey: string;
  readonly year: number;
  readonly name: string;
  readonly counter: number;
}

export const INCOMING_SERIES = 'incoming';

export function outgoingSeriesKey(mode: OutgoingSeriesMode, typeName: string, confidentiality: Confidentiality): string {
  if (isClassified(confidentiality)) return 'outgoing:classified';
  if (mode === 'single') return 'outgoing';
  return `outgoing:type:${typeAbbreviation(typeName) ?? normaliseTypeName(typeName)}`;
}

export function registerName(direction: Direction, seriesKey: string, year: number): string {
  if (direction === 'incoming') return `Sổ đăng ký văn bản đến năm ${year}`;
  if (seriesKey === 'outgoing:classified') return `Sổ đăng ký văn bản đi (văn bản mật) năm ${year}`;
  const typed = seriesKey.startsWith('outgoing:type:') ? ` (${seriesKey.slice('outgoing:type:'.length)})` : '';
  return `Sổ đăng ký văn bản đi${typed} năm ${year}`;
}

export interface RegisterKey {
  readonly agencyOrganId: string;
  readonly direction: Direction;
  readonly seriesKey: string;
  readonly year: number;
}
