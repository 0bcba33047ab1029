// Ports the registry services need. Implemented by src/db (knex), faked in memory by unit tests.
import { DomainError } from './errors.ts';
import type { Direction, DocumentStatus, RegistryDocument } from './document.ts';
import type { Register, RegisterKey } from './registers.ts';
import type { AuditEvent } from './audit.ts';
import type { Agency, Unit } from './agency.ts';

/** A document as a use case creates it; the registry fields (book, number, dates) come from the database. */
export type NewDocument = Pick<RegistryDocument,
  'id' | 'agencyOrganId' | 'direction' | 'origin' | 'status' | 'confidentiality' | 'metadata' | 'senderOrganId'
  | 'edxmlDocumentId' | 'draftingUnitId' | 'recipientsNote' | 'notes' | 'createdBy'>;

/** The audit entry written with a registration; it records the number the database assigned. */
export interface RegistrationAudit {
  readonly chain: string;
  readonly event: AuditEvent;
  readonly at: Date;
}

/** One incoming registration as the writer receives it: the document, its book and its audit entry. */
export interface IncomingRegistration {
  readonly doc: NewDocument;
  readonly register: RegisterKey & { readonly name: string };
  readonly arrivalDate: Date;
  readonly audit: RegistrationAudit;
}

/**
 * Writes incoming registrations with their số đến, gapless, each committed before it resolves (it may
 * write several registrations of one book in one transaction: group commit).
 */
export interface IncomingRegistrationWriter {
  register(item: IncomingRegistration): Promise<{ document: RegistryDocument; duplicates: DuplicateCandidate[] }>;
}

export interface DuplicateCandidate {
  readonly documentId: string;
  readonly arrivalNumber: number | null;
  readonly matchedOn: 'code' | 'document_id';
}

export interface DocumentFilter {
  readonly direction?: Direction;
  readonly status?: DocumentStatus;
  readonly year?: number;
  readonly limit: number;
  readonly offset: number;
}

export interface RegisterEntryFilter {
  readonly agencyOrganId: string;
  readonly direction: Direction;
  readonly year: number;
  readonly seriesKey?: string;
  readonly from?: Date; // inclusive, on the arrival date (incoming) or issue time (outgoing)
  readonly until?: Date; // exclusive
}

export interface DocumentRepository {
  insert(doc: NewDocument): Promise<RegistryDocument>;
  find(agencyOrganId: string, id: string): Promise<RegistryDocument | null>;
  findForUpdate(agencyOrganId: string, id: string): Promise<RegistryDocument | null>;
  /** An outgoing document about to be issued, locked, with its agency and its drafting unit (one of the agency's, else null): one read. */
  findForIssue(agencyOrganId: string, id: string): Promise<{ readonly document: RegistryDocument; readonly agency: Agency; readonly unit: Unit | null } | null>;
  list(agencyOrganId: string, filter: DocumentFilter): Promise<RegistryDocument[]>;
  /**
   * Issues an outgoing document: takes the next number of the register `book` (creating the year's book on
   * first use; its counter row-locked until commit, so a rollback gives the number back) and writes it — số
   * as `formatDocumentNumber` — with the notation and date. Fails with registry.number_conflict on a duplicate.
   */
  markIssued(id: string, book: RegisterKey & { readonly name: string }, issue: { codeNotation: string; issuedDate: string }): Promise<RegistryDocument>;
  registerEntries(filter: RegisterEntryFilter): Promise<RegistryDocument[]>;
  setStatus(id: string, status: DocumentStatus, changes?: { forwardedAt?: Date; recipientsNote?: string }): Promise<RegistryDocument>;
  /** Gives a received electronic document its số đến: the next number of the register `book`, taken as in `markIssued`. */
  markArrived(id: string, book: RegisterKey & { readonly name: string }): Promise<RegistryDocument>;
}

export interface RegisterRepository {
  list(agencyOrganId: string, year?: number): Promise<Register[]>;
}

export interface AttachmentRecord {
  readonly id: string;
  readonly documentId: string;
  readonly role: 'main' | 'attachment' | 'scan';
  readonly fileName: string;
  readonly mediaType: string;
  readonly size: number;
  readonly sha256: string;
  readonly uploadedBy: string;
  readonly createdAt: string;
}

/** A file's row as written: with the received package it is kept in, when it is not a blob of its own yet. */
export type NewAttachment = Omit<AttachmentRecord, 'createdAt'> & { readonly sourcePackageSha256?: string | null };

export interface AttachmentRepository {
  insert(record: NewAttachment): Promise<AttachmentRecord>;
  /** The received packages that hold the file with this SHA-256, named when it was left in them (PackageFileBlobStore). */
  packagesHolding(sha256: string): Promise<string[]>;
  /** Up to `limit` SHA-256 of files named as kept in a package, in order, after `after` (`edoc-node blobs write-out`). */
  keptInPackages(limit: number, after: string): Promise<string[]>;
  /** The files are blobs of their own now: their rows no longer name a package. */
  clearPackageSource(sha256s: readonly string[]): Promise<void>;
  listByDocument(documentId: string): Promise<AttachmentRecord[]>;
  find(documentId: string, id: string): Promise<AttachmentRecord | null>;
}

export type AssignmentKind = 'chu_tri' | 'phoi_hop' | 'de_biet';

export interface Assignment {
  readonly id: string;
  readonly documentId: string;
  readonly kind: AssignmentKind;
  readonly unitId: string | null;
  readonly userId: string | null;
  readonly deadline: string | null;
  readonly note: string | null;
  readonly status: 'open' | 'done';
  readonly assignedBy: string;
  readonly createdAt: string;
}

export interface AssignmentRepository {
  insertMany(assignments: readonly Omit<Assignment, 'createdAt' | 'status'>[]): Promise<Assignment[]>;
  listByDocument(documentId: string): Promise<Assignment[]>;
}

/** Raw content store (content-addressed by SHA-256), streaming in and out. */
export interface BlobStore {
  /** Streams `source` to the store while hashing; refuses more than `maxBytes`. */
  put(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ sha256: string; size: number }>;
  open(sha256: string): AsyncIterable<Uint8Array>;
  /** The blob for reading at any offset (a signed PDF verified without reading it whole); close it after. */
  openReader(sha256: string): Promise<BlobReader>;
  has(sha256: string): Promise<boolean>;
}

/** A stored blob opened for reading at any offset. */
export interface BlobReader {
  readonly size: number;
  /** Up to `length` bytes at `offset` (fewer at the end). Blocking: for small reads (a PDF's structure). */
  readSync(offset: number, length: number): Buffer;
  /** The bytes [start, end) as a stream. */
  chunks(start: number, end: number): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

/** A blob up to this size, its size known, is read in one blocking read (no stream, no thread-pool trips). */
const SMALL_BLOB_BYTES = 1024 * 1024;

/**
 * A stored blob read whole. With its recorded `size`, into one buffer of that size (no list of chunks
 * joined afterwards: a 50 MB file costs 50 MB), and a blob of another size is refused.
 */
export async function readBlob(blobs: BlobStore, sha256: string, size?: number): Promise<Buffer> {
  if (size !== undefined && size <= SMALL_BLOB_BYTES) {
    const reader = await blobs.openReader(sha256);
    try {
      if (reader.size !== size) throw new DomainError('attachment.not_found', { details: [{ field: 'sha256', message: `${sha256} holds ${reader.size} bytes, ${size} recorded` }] });
      return reader.readSync(0, size);
    } finally {
      await reader.close();
    }
  }
  if (size === undefined) {
    const parts: Uint8Array[] = [];
    for await (const chunk of blobs.open(sha256)) parts.push(chunk);
    return Buffer.concat(parts);
  }
  const whole = Buffer.allocUnsafe(size);
  let at = 0;
  for await (const chunk of blobs.open(sha256)) {
    if (at + chunk.byteLength > size) throw new DomainError('attachment.not_found', { details: [{ field: 'sha256', message: `${sha256} is larger than the ${size} bytes recorded` }] });
    whole.set(chunk, at);
    at += chunk.byteLength;
  }
  if (at !== size) throw new DomainError('attachment.not_found', { details: [{ field: 'sha256', message: `${sha256} holds ${at} bytes, ${size} recorded` }] });
  return whole;
}
