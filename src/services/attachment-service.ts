// Attachments: streamed into the content-addressed blob store (never whole in memory), recorded against
// the document with their SHA-256, size and media type; read back with the digest re-checked.
import { randomUUID } from 'node:crypto';
import { authorize, type Actor } from '../domain/actor.ts';
import { DomainError } from '../domain/errors.ts';
import type { AttachmentRecord, BlobStore } from '../domain/registry-ports.ts';
import type { UnitOfWork } from '../domain/unit-of-work.ts';

export interface AttachmentUpload {
  readonly fileName: string;
  readonly mediaType: string;
  readonly role: AttachmentRecord['role'];
  readonly content: AsyncIterable<Uint8Array>;
}

const FORBIDDEN_NAME = /[\\/\u0000-\u001f]|^\.\.?$/;

export class AttachmentService {
  constructor(private readonly uow: UnitOfWork, private readonly blobs: BlobStore, private readonly limits: { maxBytes: number; maxNameLength: number }) {}

  async upload(actor: Actor, organId: string, documentId: string, upload: AttachmentUpload): Promise<AttachmentRecord> {
    authorize(actor, 'attachment.upload', organId);
    const name = upload.fileName.normalize('NFC');
    if (!name || name.length > this.limits.maxNameLength || FORBIDDEN_NAME.test(name)) {
      throw new DomainError('attachment.invalid_name', { details: [{ field: 'fileName', message: `1 to ${this.limits.maxNameLength} characters, no path separators` }] });
    }
    const exists = await this.uow.run((repos) => repos.documents.find(organId, documentId));
    if (!exists) throw new DomainError('registry.document_not_found');
    // The bytes go to the store first; an orphan blob after a failed commit is harmless (content-addressed).
    const { sha256, size } = await this.blobs.put(upload.content, this.limits.maxBytes);
    return this.uow.run(async (repos) => {
      if (!(await repos.documents.findForUpdate(organId, documentId))) throw new DomainError('registry.document_not_found');
      const record = await repos.attachments.insert({ id: randomUUID(), documentId, role: upload.role, fileName: name, mediaType: upload.mediaType, size, sha256, uploadedBy: actor.userId });
      await repos.audit.append(organId, { actor: actor.userId, action: 'attachment.add', subjectType: 'document', subjectId: documentId, after: record });
      return record;
    });
  }

  async list(actor: Actor, organId: string, documentId: string): Promise<AttachmentRecord[]> {
    authorize(actor, 'document.read', organId);
    return this.uow.run(async (repos) => {
      if (!(await repos.documents.find(organId, documentId))) throw new DomainError('registry.document_not_found');
      return repos.attachments.listByDocument(documentId);
    });
  }

  async open(actor: Actor, organId: string, documentId: string, attachmentId: string): Promise<{ record: AttachmentRecord; content: AsyncIterable<Uint8Array> }> {
    authorize(actor, 'document.read', organId);
    const record = await this.uow.run(async (repos) => {
      if (!(await repos.documents.find(organId, documentId))) return null;
      return repos.attachments.find(documentId, attachmentId);
    });
    if (!record) throw new DomainError('attachment.not_found');
    if (!(await this.blobs.has(record.sha256))) throw new DomainError('attachment.not_found', { message: `blob ${record.sha256} is missing from the store` });
    return { record, content: this.blobs.open(record.sha256) };
  }
}
