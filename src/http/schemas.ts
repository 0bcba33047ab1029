// Input schemas at the edge (STYLE.md habit 6): each request body or query is parsed here and the
// TypeScript type derived from it; a failure lists every bad field under request.invalid.
import { z } from 'zod';
import { isValidOrganId } from '../domain/organ-id.ts';
import { DomainError } from '../domain/errors.ts';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'not a calendar date');
const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) => z.string().trim().max(max).nullable().optional();
const organId = z.string().refine(isValidOrganId, 'not an organ id (LLL.KK.JJ.MXX)');
const priority = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);
const confidentiality = z.enum(['none', 'mat', 'toi_mat', 'tuyet_mat']);

export const loginBody = z.strictObject({ username: text(200), password: z.string().min(1).max(200) });

export const incomingBody = z.strictObject({
  origin: z.enum(['paper', 'electronic']),
  senderName: text(500),
  senderOrganId: organId.nullable().optional(),
  codeNumber: optionalText(20),
  codeNotation: optionalText(100),
  issuedDate: isoDate.nullable().optional(),
  typeName: text(100),
  subject: text(2000),
  priority: priority.default(0),
  confidentiality: confidentiality.optional(),
  pageAmount: z.number().int().min(0).max(100000).nullable().optional(),
  description: optionalText(5000),
  signerFullName: optionalText(200),
  signerPosition: optionalText(200),
  dueDate: isoDate.nullable().optional(),
  toPlaces: z.array(text(500)).max(200).optional(),
  recipientsNote: optionalText(500),
  notes: optionalText(2000),
  edxmlDocumentId: optionalText(300),
});

export const outgoingBody = z.strictObject({
  typeName: text(100),
  subject: text(2000),
  draftingUnitId: z.uuid().nullable().optional(),
  confidentiality: confidentiality.optional(),
  priority: priority.default(0),
  recipients: z.array(z.strictObject({ organId: organId.nullable(), organName: text(500) })).max(500).optional(),
  signerFullName: optionalText(200),
  signerPosition: optionalText(200),
  signerCompetence: optionalText(20),
  pageAmount: z.number().int().min(0).max(100000).nullable().optional(),
  issuedAmount: z.number().int().min(0).max(100000).nullable().optional(),
  dueDate: isoDate.nullable().optional(),
  description: optionalText(5000),
  recipientsNote: optionalText(1000),
  notes: optionalText(2000),
});

/** Cập nhật (BussinessDocType 2) of a sent document: changed metadata and/or added or removed recipients. */
export const documentUpdateBody = z.strictObject({
  reason: text(2000),
  metadata: z.strictObject({
    typeName: text(100).optional(),
    subject: text(2000).optional(),
    description: optionalText(5000),
    pageAmount: z.number().int().min(0).max(100000).nullable().optional(),
    issuedAmount: z.number().int().min(0).max(100000).nullable().optional(),
    priority: priority.optional(),
    dueDate: isoDate.nullable().optional(),
    signerInfo: z.strictObject({ fullName: optionalText(200), position: optionalText(200), competence: optionalText(20) }).nullable().optional(),
  }).optional(),
  // organName: as printed in Nơi nhận; omitted, the directory's name of the agency.
  addRecipients: z.array(z.strictObject({ organId, organName: text(500).optional() })).max(500).optional(),
  removeRecipients: z.array(organId).max(500).optional(),
});

/** Thay thế (BussinessDocType 3): the issued document at the URL replaces `replacesDocumentId`. */
export const documentReplaceBody = z.strictObject({ replacesDocumentId: z.uuid(), reason: text(2000) });

export const assignmentBody = z.strictObject({
  assignments: z.array(z.strictObject({
    kind: z.enum(['chu_tri', 'phoi_hop', 'de_biet']),
    unitId: z.uuid().nullable().optional(),
    userId: z.uuid().nullable().optional(),
    deadline: isoDate.nullable().optional(),
    note: optionalText(1000),
  }).refine((a) => a.unitId || a.userId, 'a unit or a user')).min(1).max(100),
});

export const userBody = z.strictObject({
  username: z.string().regex(/^[a-z0-9._@-]{3,100}$/, 'lower-case letters, digits and . _ @ -'),
  fullName: text(200),
  position: optionalText(200),
  unitId: z.uuid().nullable().optional(),
  roles: z.array(z.enum(['van_thu', 'lanh_dao', 'chuyen_vien', 'quan_tri'])).min(1),
  password: z.string().min(10).max(200),
});

export const registerQuery = z.object({
  year: z.coerce.number().int().min(1945).max(9999),
  format: z.enum(['json', 'csv', 'html']).default('json'),
  from: isoDate.optional(),
  to: isoDate.optional(),
  series: z.string().max(100).optional(),
});

export const listQuery = z.object({
  direction: z.enum(['incoming', 'outgoing']).optional(),
  status: z.string().max(30).optional(),
  year: z.coerce.number().int().min(1945).max(9999).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const organIdParam = organId;

export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new DomainError('request.invalid', { details: result.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })) });
}

export function parseOrganIdParam(value: unknown): string {
  const result = organId.safeParse(value);
  if (!result.success) throw new DomainError('agency.invalid_organ_id', { details: [{ field: 'organId', message: String(value) }] });
  return result.data;
}
