// Số and ký hiệu of outgoing documents, Nghị định 30/2020, art. 15 and Phụ lục I:
// "05/QĐ-UBND" for typed documents (type abbreviation + agency abbreviation), "1250/VPCP-KSTT" for a công
// văn (agency abbreviation + drafting unit abbreviation); "/" between số and ký hiệu, "-" between groups,
// no spaces; numbers below 10 written with a leading zero.
import { DomainError } from './errors.ts';
import { typeAbbreviation } from './document-types.ts';

export const formatDocumentNumber = (n: number): string => (n < 10 ? `0${n}` : String(n));

export interface NotationInput {
  readonly typeName: string;
  readonly agencyAbbreviation: string;
  readonly unitAbbreviation?: string | null;
}

function knownAbbreviation(typeName: string): string | null {
  const abbreviation = typeAbbreviation(typeName);
  if (abbreviation === undefined) {
    throw new DomainError('registry.unknown_type', { details: [{ field: 'typeName', message: `unknown document type ${JSON.stringify(typeName)}` }] });
  }
  return abbreviation;
}

/** Checked when a draft is made, so that issuing cannot fail later for want of a notation. */
export function assertNotationPossible(typeName: string, hasDraftingUnit: boolean): void {
  if (knownAbbreviation(typeName) === null && !hasDraftingUnit) requireUnit(null);
}

export function buildNotation(input: NotationInput): string {
  const abbreviation = knownAbbreviation(input.typeName);
  const groups = abbreviation === null
    ? [input.agencyAbbreviation, requireUnit(input.unitAbbreviation)]
    : [abbreviation, input.agencyAbbreviation];
  return groups.map((g) => g.replace(/\s+/g, '')).join('-');
}

function requireUnit(unit: string | null | undefined): string {
  if (!unit) throw new DomainError('registry.unit_abbreviation_required', { details: [{ field: 'unitId', message: 'a công văn needs the drafting unit' }] });
  return unit;
}

export const fullNotation = (number: string, notation: string): string => `${number}/${notation}`;
