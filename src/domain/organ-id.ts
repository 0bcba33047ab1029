// Organ identifiers (mã định danh), DOMAIN.md §5.
// QCVN 102:2016 form `LLL.KK.JJ.MXX`, read right to left: MXX the level-1 body, JJ level 2, KK level 3,
// LLL level 4; zeros mean "level not used". Vendor packages also carry shorter shapes (`28.22.H17`).
// The newer left-to-right code of Quyết định 20/2020/QĐ-TTg: up to 35 characters of `.0-9A-Z`.
// The directory of the axis remains the source of truth (codes were reissued in 2025): what is derived
// here from the shape alone is a hint for statistics and routing, never a lookup.
import { DomainError } from './errors.ts';

export type OrganId = string & { readonly __brand: 'OrganId' };

const QCVN_102 = /^(\d{3})\.(\d{2})\.(\d{2})\.([A-Z]\d{2})$/;
const QD_20_2020 = /^[0-9A-Z](?:[.0-9A-Z]{0,33}[0-9A-Z])?$/;
/** Vendor shortenings of the QCVN 102 form with the leading zero levels dropped: `28.22.H17`, `14.00.W00`. */
const QCVN_102_SHORT = /^(?:\d{2,3}\.){1,2}[A-Z]\d{2}$/;
/** Quyết định 20/2020 left to right: the level-1 body first, then each lower level. */
const QD_20_LEFT_TO_RIGHT = /^[A-Z]\d{2}(?:\.[0-9A-Z]{2,3}){0,3}$/;

export const isQcvn102OrganId = (value: string): boolean => QCVN_102.test(value);

export function isValidOrganId(value: string): boolean {
  return QCVN_102.test(value) || (QD_20_2020.test(value) && !value.includes('..'));
}

export function parseOrganId(value: unknown, field = 'organId'): OrganId {
  if (typeof value !== 'string' || !isValidOrganId(value)) {
    throw new DomainError('agency.invalid_organ_id', { details: [{ field, message: `not an organ id: ${JSON.stringify(value)}` }] });
  }
  return value as OrganId;
}

/**
 * Which shape an organ id has: `qcvn102` (LLL.KK.JJ.MXX), `qcvn102-short` (the same read right to left
 * with leading levels omitted), `qd20` (left to right, level-1 body first) or `opaque` (valid characters,
 * no structure we can read).
 */
export type OrganIdForm = 'qcvn102' | 'qcvn102-short' | 'qd20' | 'opaque';

/** Administrative tier, only where the shape says it: G bodies are central, a bare H body is a province. */
export type AdministrativeLevel = 'central' | 'province';

export interface OrganIdStructure {
  readonly value: OrganId;
  readonly form: OrganIdForm;
  /** The level-1 body code (MXX), e.g. `H53`; undefined for opaque ids. */
  readonly rootBody: string | undefined;
  /** Organisational depth: 1 for the level-1 body itself, up to 4; undefined for opaque ids. */
  readonly depth: number | undefined;
  /** Ancestors from the nearest parent up to the level-1 body, in the same form as `value`. */
  readonly parents: readonly OrganId[];
  readonly administrativeLevel: AdministrativeLevel | undefined;
}

const administrativeLevel = (rootBody: string, depth: number): AdministrativeLevel | undefined => {
  if (rootBody.startsWith('G')) return depth === 1 ? 'central' : undefined;
  if (rootBody.startsWith('H')) return depth === 1 ? 'province' : undefined;
  return undefined;
};

/** Right-to-left forms: zero segments mean "level not used"; a parent zeroes the lowest used level. */
function readRightToLeft(value: OrganId, form: 'qcvn102' | 'qcvn102-short'): OrganIdStructure {
  const segments = value.split('.');
  const rootBody = segments[segments.length - 1] as string;
  const levels = segments.slice(0, -1); // lowest level first: LLL, KK, JJ (or a suffix of them)
  const isUsed = (s: string): boolean => !/^0+$/.test(s);
  const firstUsed = levels.findIndex(isUsed);
  const parents: OrganId[] = [];
  if (firstUsed >= 0) {
    for (let i = firstUsed; i < levels.length; i += 1) {
      if (!isUsed(levels[i] as string)) continue;
      const parent = levels.map((s, j) => (j <= i ? '0'.repeat(s.length) : s));
      parents.push([...parent, rootBody].join('.') as OrganId);
    }
  }
  const depth = 1 + levels.filter(isUsed).length;
  return { value, form, rootBody, depth, parents: dedupe(parents.filter((p) => p !== value)), administrativeLevel: administrativeLevel(rootBody, depth) };
}

const dedupe = (ids: readonly OrganId[]): OrganId[] => [...new Set(ids)];

function readLeftToRight(value: OrganId): OrganIdStructure {
  const segments = value.split('.');
  const rootBody = segments[0] as string;
  const parents: OrganId[] = [];
  for (let n = segments.length - 1; n >= 1; n -= 1) parents.push(segments.slice(0, n).join('.') as OrganId);
  return { value, form: 'qd20', rootBody, depth: segments.length, parents, administrativeLevel: administrativeLevel(rootBody, segments.length) };
}

/** Reads the structure of a valid organ id (throws `agency.invalid_organ_id` otherwise). */
export function describeOrganId(input: string, field = 'organId'): OrganIdStructure {
  const value = parseOrganId(input, field);
  if (QCVN_102.test(value)) return readRightToLeft(value, 'qcvn102');
  if (QCVN_102_SHORT.test(value)) return readRightToLeft(value, 'qcvn102-short');
  if (QD_20_LEFT_TO_RIGHT.test(value)) return readLeftToRight(value);
  return { value, form: 'opaque', rootBody: undefined, depth: undefined, parents: [], administrativeLevel: undefined };
}

/** The nearest parent, or undefined for a level-1 body or an opaque id. */
export const parentOrganId = (value: string): OrganId | undefined => describeOrganId(value).parents[0];
