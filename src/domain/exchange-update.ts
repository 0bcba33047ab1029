// Update (BussinessDocType 2) of a sent document (issue 5 item 6; DOMAIN.md §3): which metadata an update
// may change, the difference between two versions (the history keeps the previous values of exactly the
// fields that changed), and the recipient list after recipients are added or removed.
// Số, ký hiệu, ngày ban hành and the issuing agency identify the document (its DocumentId is built from
// them): changing those is a replacement (BussinessDocType 3), a new document, not an update.
import type { DocumentMetadata, OrganRef } from './document.ts';
import { DomainError } from './errors.ts';

/** The Phụ lục VI items an update may change. */
export const UPDATABLE_FIELDS = ['typeName', 'subject', 'description', 'pageAmount', 'signerInfo', 'priority', 'issuedAmount', 'dueDate', 'to', 'toPlaces'] as const;
export type UpdatableField = (typeof UPDATABLE_FIELDS)[number];

/** The updatable part of a document's metadata (incoming documents add `toPlaces`, the printed Nơi nhận). */
export type UpdatableMetadata = Pick<DocumentMetadata, Exclude<UpdatableField, 'toPlaces'>> & { readonly toPlaces?: readonly string[] };

/** A change of some updatable fields; absent = unchanged. */
export type MetadataChanges = Partial<UpdatableMetadata>;

/** The fields that differ, with their previous (`before`) and new (`after`) values; empty when nothing changed. */
export interface MetadataDiff {
  readonly before: MetadataChanges;
  readonly after: MetadataChanges;
}

/** JSON with object keys sorted: values read back from jsonb come with their keys reordered. */
const canonical = (value: unknown): string => JSON.stringify(value ?? null, (_key, v: unknown) => (
  v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

/** The difference between the current metadata and the changes asked for (fields equal to the current value drop out). */
export function diffMetadata(current: UpdatableMetadata, changes: MetadataChanges): MetadataDiff {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const field of UPDATABLE_FIELDS) {
    if (!(field in changes) || changes[field] === undefined) continue;
    if (same(current[field], changes[field])) continue;
    before[field] = current[field] ?? null;
    after[field] = changes[field];
  }
  return { before: before as MetadataChanges, after: after as MetadataChanges };
}

export const isEmptyDiff = (diff: MetadataDiff): boolean => Object.keys(diff.after).length === 0;

/**
 * The recipients after an update: `remove` must be current recipients, `add` must not be; at least one
 * recipient remains. Order: the current ones kept, then the added ones.
 */
export function changeRecipients(current: readonly OrganRef[], add: readonly OrganRef[], remove: readonly string[]): OrganRef[] {
  const ids = new Set(current.map((r) => r.organId));
  for (const organId of remove) {
    if (!ids.has(organId)) throw new DomainError('request.invalid', { details: [{ field: 'removeRecipients', message: `${organId} is not a recipient of this document` }] });
  }
  for (const r of add) {
    if (!r.organId) throw new DomainError('request.invalid', { details: [{ field: 'addRecipients', message: 'an added recipient needs an organ id' }] });
    if (ids.has(r.organId)) throw new DomainError('request.invalid', { details: [{ field: 'addRecipients', message: `${r.organId} is already a recipient` }] });
  }
  if (new Set(add.map((r) => r.organId)).size !== add.length) throw new DomainError('request.invalid', { details: [{ field: 'addRecipients', message: 'a recipient is listed twice' }] });
  const next = [...current.filter((r) => !r.organId || !remove.includes(r.organId)), ...add];
  if (next.length === 0) throw new DomainError('request.invalid', { details: [{ field: 'removeRecipients', message: 'an update cannot remove every recipient (recall the document instead)' }] });
  return next;
}
