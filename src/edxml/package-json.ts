// The JSON form of the edXML model, for the CLI (`edxml parse --json`, `edxml build --from`) and any
// other edge: calendar days as `YYYY-MM-DD`, instants as ISO 8601, attachments by base64 or file path.
// Input is validated with a schema (STYLE.md habit 6) and errors name the field.
import { z } from 'zod';
import { isValidOrganId, type OrganId } from '../domain/organ-id.ts';
import { statusCodes } from '../domain/edxml-codes.ts';
import { DomainError } from '../domain/errors.ts';
import { toDateOnly, type DateOnly } from './edxml-dates.ts';
import type { OutgoingDocumentPackage, ParsedEdxml, StatusMessage } from './model.ts';

const text = z.string().trim().min(1);
const opt = text.optional();
const organId = z.string().refine(isValidOrganId, 'not an organ id').transform((v) => v as OrganId);
const day = z.string().refine((v) => toDateOnly(v) !== undefined, 'not a YYYY-MM-DD date').transform((v) => v as DateOnly);
const instant = z.iso.datetime({ offset: true }).transform((v) => new Date(v));
const int = z.number().int();

const organization = z.object({ organId, organizationInCharge: opt, organName: opt, organAdd: opt, email: opt, telephone: opt, fax: opt, website: opt });
const responseFor = z.object({ organId, code: opt, promulgationDate: day.optional(), documentId: text });
const staffInfo = z.object({ department: opt, staff: opt, mobile: opt, email: opt });
const traceHeader = z.object({ organId, timestamp: instant });

const header = z.object({
  from: organization,
  to: z.array(organization).min(1),
  documentId: text,
  code: z.object({ codeNumber: text, codeNotation: text }),
  promulgationInfo: z.object({ place: opt, promulgationDate: day }),
  documentType: z.object({ type: int, typeDetail: int.optional(), typeName: opt }),
  subject: text,
  content: opt,
  signerInfo: z.object({ competence: opt, position: opt, fullName: opt }).optional(),
  dueDate: day.optional(),
  toPlaces: z.array(text).default([]),
  otherInfo: z
    .object({
      priority: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).optional(),
      sphereOfPromulgation: opt,
      typerNotation: opt,
      promulgationAmount: int.optional(),
      pageAmount: int.optional(),
      direction: z.boolean().optional(),
      appendixes: z.array(text).default([]),
    })
    .optional(),
  responseFor: z.array(responseFor).default([]),
  steeringType: int.optional(),
});

const business = z.object({
  documentId: opt,
  businessDocType: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]),
  businessDocReason: opt,
  paper: z.boolean().optional(),
  businessDocumentInfo: z
    .object({ documentInfo: z.boolean().optional(), documentReceiver: z.boolean().optional(), receivers: z.array(z.object({ organId, receiverType: z.union([z.literal(0), z.literal(1)]) })).default([]) })
    .optional(),
  staffInfo: staffInfo.optional(),
  replacementInfoList: z.array(z.object({ documentId: text, organIds: z.array(organId) })).default([]),
});

const attachment = z
  .object({
    contentId: opt,
    name: text,
    description: opt,
    contentType: opt,
    transferEncoding: z.enum(['zip', 'raw']).optional(),
    base64: z.string().optional(),
    path: z.string().optional(),
  })
  .refine((a) => (a.base64 === undefined) !== (a.path === undefined), 'give exactly one of base64 or path');

const documentJson = z.object({
  kind: z.literal('document').default('document'),
  header,
  traceHeaders: z.array(traceHeader).default([]),
  business: business.optional(),
  attachments: z.array(attachment).default([]),
});

const statusJson = z.object({
  kind: z.literal('status'),
  status: z.object({ from: organization, responseFor, staffInfo: staffInfo.optional(), statusCode: z.enum(statusCodes), description: opt, timestamp: instant, traceHeaders: z.array(traceHeader).default([]) }),
});

export type PackageJsonRequest = { kind: 'document'; package: OutgoingDocumentPackage } | { kind: 'status'; status: StatusMessage };

/** Reads the JSON form; `readFile` resolves attachment `path`s (the caller decides where from). */
export function packageFromJson(value: unknown, readFile: (path: string) => Uint8Array): PackageJsonRequest {
  const isStatus = typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'status';
  const parsed = (isStatus ? statusJson : documentJson).safeParse(value);
  if (!parsed.success) {
    throw new DomainError('request.invalid', { details: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) });
  }
  if (parsed.data.kind === 'status') return { kind: 'status', status: (parsed.data as z.infer<typeof statusJson>).status };
  const doc = parsed.data as z.infer<typeof documentJson>;
  return {
    kind: 'document',
    package: {
      header: doc.header,
      traceHeaders: doc.traceHeaders,
      business: doc.business,
      attachments: doc.attachments.map(({ base64, path, ...meta }) => ({ ...meta, content: base64 !== undefined ? Buffer.from(base64, 'base64') : readFile(path as string) })),
    },
  };
}

/** The parse result as JSON-ready data (attachment contents left out: size and SHA-256 describe them). */
export function parsedToJson(parsed: ParsedEdxml): unknown {
  const strip = parsed.kind === 'document' ? { ...parsed, attachments: parsed.attachments.map(({ content: _content, ...rest }) => rest) } : parsed;
  return JSON.parse(JSON.stringify(strip));
}
