// Key custody and signing (issue 3 item 4, DOMAIN.md §1 and §6): the ports the signing services need.
// A personal key belongs to one lãnh đạo and is unlocked by their PIN; the organisation key is the
// agency's, applied only by the văn thư (Nghị định 30, art. 15-16: the văn thư issues and applies the
// agency's signature). Implemented by src/db (knex) and, for the cryptography, by src/pki (wired in app.ts).
import type { SignatureValidationReport } from './validation-report.ts';
import type { AttachmentRecord } from './registry-ports.ts';

export type SigningKeyKind = 'personal' | 'organisation';
export type SigningKeyStatus = 'active' | 'retired';
/** personal keys are sealed under the holder's PIN, the organisation key under the node secret. */
export type KeyProtection = 'pin' | 'node-secret';

export interface SigningKeyRecord {
  readonly id: string;
  readonly agencyOrganId: string;
  readonly kind: SigningKeyKind;
  readonly ownerUserId: string | null;
  readonly certificate: Buffer; // DER
  readonly chain: readonly Buffer[]; // DER, nearest issuer first
  readonly certificateSha256: string;
  readonly subject: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly protection: KeyProtection;
  readonly sealedPrivateKey: Buffer;
  readonly status: SigningKeyStatus;
  readonly failedPinAttempts: number;
  readonly lockedAt: Date | null;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly retiredAt: Date | null;
}

export type NewSigningKey = Omit<SigningKeyRecord, 'status' | 'failedPinAttempts' | 'lockedAt' | 'createdAt' | 'retiredAt'>;

export interface SigningKeyUse {
  readonly keyId: string;
  readonly userId: string;
  readonly documentId: string;
  readonly attachmentId: string;
  readonly form: 'PAdES' | 'CMS';
  readonly signedSha256: string;
}

export interface StoredSignatureReport {
  readonly id: string;
  readonly documentId: string;
  readonly attachmentId: string;
  readonly sourceAttachmentId: string;
  readonly form: 'PAdES' | 'CMS';
  readonly kind: SigningKeyKind;
  readonly keyId: string;
  readonly signedBy: string;
  readonly signatureSha256: string | null;
  readonly report: SignatureValidationReport;
  readonly createdAt: string;
}

/** What `currentAttachments` needs of a signature report: which file it made from which, and its detached CMS. */
export type SignatureFact = Pick<StoredSignatureReport, 'form' | 'attachmentId' | 'sourceAttachmentId' | 'signatureSha256'>;

export interface SigningKeyRepository {
  insert(key: NewSigningKey): Promise<SigningKeyRecord>;
  find(agencyOrganId: string, id: string): Promise<SigningKeyRecord | null>;
  findForUpdate(agencyOrganId: string, id: string): Promise<SigningKeyRecord | null>;
  /** The active key of a holder (personal: owner; organisation: ownerUserId null), row-locked until commit. */
  findActiveForUpdate(agencyOrganId: string, kind: SigningKeyKind, ownerUserId: string | null): Promise<SigningKeyRecord | null>;
  /** The id of a holder's active key, read without a lock (a periodic check for rotation). */
  findActiveId(agencyOrganId: string, kind: SigningKeyKind, ownerUserId: string | null): Promise<string | null>;
  list(agencyOrganId: string, filter?: { ownerUserId?: string }): Promise<SigningKeyRecord[]>;
  retire(id: string, at: Date): Promise<void>;
  setPinState(id: string, state: { failedPinAttempts: number; lockedAt: Date | null }): Promise<void>;
  recordUse(use: SigningKeyUse): Promise<void>;
  listUses(keyId: string): Promise<(SigningKeyUse & { usedAt: string })[]>;
}

export interface SignatureReportRepository {
  insert(report: Omit<StoredSignatureReport, 'createdAt'>): Promise<StoredSignatureReport>;
  listByDocument(documentId: string): Promise<StoredSignatureReport[]>;
  find(documentId: string, id: string): Promise<StoredSignatureReport | null>;
  /** A document's attachments and the facts of its signatures, in one read (every document sent; no report bodies). */
  filesOf(documentId: string): Promise<{ readonly attachments: AttachmentRecord[]; readonly signatures: SignatureFact[] }>;
}

/** Key material decrypted for one operation (or a short window); never persisted in this form. */
export interface UnsealedKey {
  readonly keyId: string;
  /** PKCS#8 DER of the private key. */
  readonly privateKeyPkcs8: Buffer;
  readonly certificate: Buffer;
  readonly chain: readonly Buffer[];
}

export interface CertificateDescription {
  readonly subject: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly sha256: string;
  /** The agency's organ id named by an organisational certificate (subject UID), if any. */
  readonly organId?: string;
}

/** The cryptography the signing services use: PKCS#12, PAdES, detached CMS and their verification. */
export interface DocumentSignatureTools {
  /** Opens a PKCS#12 (checks that the key matches the certificate); fails with pki.invalid_key. */
  openPkcs12(bytes: Uint8Array, passphrase: string): { privateKeyPkcs8: Buffer; certificate: Buffer; chain: Buffer[] };
  describeCertificate(der: Uint8Array): CertificateDescription;
  /** Path validation of a certificate to import, now, for its purpose (RFC 5280). */
  checkCertificate(der: Uint8Array, chain: readonly Uint8Array[], kind: SigningKeyKind): Promise<{ ok: boolean; message: string }>;
  /** Appends a PAdES signature with a signature time-stamp (incremental update). */
  signPdf(pdf: Buffer, key: UnsealedKey, options: { reason: string; signingTime: Date }): Promise<Buffer>;
  /** A detached CMS SignedData (DER) over content with this SHA-256, with a signature time-stamp. */
  signDetached(contentSha256: Buffer, key: UnsealedKey, signingTime: Date): Promise<Buffer>;
  verifyPdf(pdf: Buffer): Promise<SignatureValidationReport[]>;
  verifyDetached(cms: Buffer, content: Buffer): Promise<SignatureValidationReport>;
}

/**
 * The attachments a document consists of now: every signed main PDF replaces the version it was made
 * from (the older versions stay stored, but are not the document); each attachment comes with the
 * SHA-256 of its detached CMS (agency signature) in the blob store, if it has one. What the outgoing
 * edXML package should carry.
 */
export function currentAttachments<A extends { readonly id: string; readonly role: string }>(attachments: readonly A[], reports: readonly SignatureFact[]): (A & { readonly detachedSignatureSha256: string | null })[] {
  const superseded = new Set(reports.filter((r) => r.form === 'PAdES').map((r) => r.sourceAttachmentId));
  const cms = new Map(reports.filter((r) => r.form === 'CMS' && r.signatureSha256).map((r) => [r.attachmentId, r.signatureSha256 as string]));
  return attachments.filter((a) => !superseded.has(a.id)).map((a) => ({ ...a, detachedSignatureSha256: cms.get(a.id) ?? null }));
}
