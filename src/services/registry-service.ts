// Registering incoming documents, drafting and issuing outgoing ones (Nghị định 30/2020, art. 15-16, 22).
import { randomUUID } from 'node:crypto';
import { authorize, type Actor } from '../domain/actor.ts';
import type { Agency } from '../domain/agency.ts';
import { isClassified, type DuplicateWarning, type RegistryDocument } from '../domain/document.ts';
import { DomainError } from '../domain/errors.ts';
import { assertNotationPossible, buildNotation } from '../domain/notation.ts';
import { INCOMING_SERIES, outgoingSeriesKey, registerName } from '../domain/registers.ts';
import type { DocumentFilter, DuplicateCandidate, IncomingRegistrationWriter, NewDocument } from '../domain/registry-ports.ts';
import type { Repositories, UnitOfWork } from '../domain/unit-of-work.ts';
import { vietnamDate, vietnamYear, type Clock } from '../domain/vietnam-time.ts';
import type { IncomingRegistration, OutgoingDraft } from './registry-inputs.ts';

export interface Registered {
  readonly document: RegistryDocument;
  readonly warnings: readonly DuplicateWarning[];
}

async function requireAgency(repos: Repositories, organId: string): Promise<Agency> {
  const agency = await repos.agencies.find(organId);
  if (!agency) throw new DomainError('agency.not_found', { details: [{ field: 'organId', message: organId }] });
  return agency;
}

function toWarning(c: DuplicateCandidate): DuplicateWarning {
  const at = c.arrivalNumber ? ` (số đến ${c.arrivalNumber})` : '';
  return c.matchedOn === 'code'
    ? { code: 'registry.duplicate_code', existingDocumentId: c.documentId, existingArrivalNumber: c.arrivalNumber, message: `A document with the same number, notation and issuing agency is already registered${at}.`, messageVi: `Văn bản cùng số, ký hiệu và cơ quan ban hành đã được vào sổ${at}.` }
    : { code: 'registry.duplicate_document_id', existingDocumentId: c.documentId, existingArrivalNumber: c.arrivalNumber, message: `A document with the same DocumentId is already registered${at}.`, messageVi: `Văn bản cùng mã định danh (DocumentId) đã được vào sổ${at}.` };
}

export class RegistryService {
  /** The `writer` numbers and stores incoming registrations (src/db/batching-registration-writer.ts: group commit per book). */
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly writer: IncomingRegistrationWriter) {}

  /**
   * Vào sổ văn bản đến: the next số đến of the agency's incoming book for the current year, one series
   * for paper and electronic documents (Nghị định 30, art. 22). A possible duplicate is registered with
   * a warning, never silently merged: the văn thư decides.
   */
  async registerIncoming(actor: Actor, organId: string, input: IncomingRegistration): Promise<Registered> {
    authorize(actor, 'incoming.register', organId);
    const confidentiality = input.confidentiality ?? 'none';
    if (input.origin === 'electronic' && isClassified(confidentiality)) throw new DomainError('registry.classified_not_electronic');
    const now = this.clock.now();
    const year = vietnamYear(now);
    const id = randomUUID();
    const doc: NewDocument = {
      id, agencyOrganId: organId, direction: 'incoming', origin: input.origin, status: 'registered', confidentiality,
      metadata: {
        fileCode: null, docOrdinal: null, typeName: input.typeName, codeNumber: input.codeNumber ?? null, codeNotation: input.codeNotation ?? null,
        issuedDate: input.issuedDate ?? null, organName: input.senderName, subject: input.subject, language: 'vi', pageAmount: input.pageAmount ?? null,
        description: input.description ?? null, signerInfo: input.signerFullName || input.signerPosition ? { fullName: input.signerFullName ?? null, position: input.signerPosition ?? null } : null,
        to: [], priority: input.priority, issuedAmount: null, dueDate: input.dueDate ?? null,
        arrivalDate: now.toISOString(), arrivalNumber: null, toPlaces: input.toPlaces ?? [], traceHeaders: [],
      },
      senderOrganId: input.senderOrganId ?? null, edxmlDocumentId: input.edxmlDocumentId ?? null, draftingUnitId: null,
      recipientsNote: input.recipientsNote ?? null, notes: input.notes ?? null, createdBy: actor.userId,
    };
    const item = {
      doc, arrivalDate: now,
      register: { agencyOrganId: organId, direction: 'incoming' as const, seriesKey: INCOMING_SERIES, year, name: registerName('incoming', INCOMING_SERIES, year) },
      audit: { chain: organId, at: now, event: { actor: actor.userId, action: 'incoming.register', subjectType: 'document' as const, subjectId: id, after: doc } },
    };
    const { document, duplicates } = await this.writer.register(item);
    return { document, warnings: duplicates.map(toWarning) };
  }

  async draftOutgoing(actor: Actor, organId: string, input: OutgoingDraft): Promise<RegistryDocument> {
    authorize(actor, 'outgoing.draft', organId);
    return this.uow.run(async (repos) => {
      const agency = await requireAgency(repos, organId);
      const unitId = input.draftingUnitId ?? (await repos.users.findById(actor.userId))?.unitId ?? null;
      if (unitId && !(await repos.agencies.findUnit(organId, unitId))) throw new DomainError('unit.not_found', { details: [{ field: 'draftingUnitId', message: unitId }] });
      assertNotationPossible(input.typeName, unitId !== null);
      const document = await repos.documents.insert({
        id: randomUUID(), agencyOrganId: organId, direction: 'outgoing', origin: 'electronic', status: 'draft', confidentiality: input.confidentiality ?? 'none',
        metadata: {
          fileCode: null, docOrdinal: null, typeName: input.typeName, codeNumber: null, codeNotation: null, issuedDate: null,
          organName: agency.name, subject: input.subject, language: 'vi', pageAmount: input.pageAmount ?? null, description: input.description ?? null,
          signerInfo: input.signerFullName || input.signerPosition ? { fullName: input.signerFullName ?? null, position: input.signerPosition ?? null, competence: input.signerCompetence ?? null } : null,
          to: input.recipients ?? [], priority: input.priority, issuedAmount: input.issuedAmount ?? null, dueDate: input.dueDate ?? null,
          arrivalDate: null, arrivalNumber: null, toPlaces: [], traceHeaders: [],
        },
        senderOrganId: organId, edxmlDocumentId: null, draftingUnitId: unitId, recipientsNote: input.recipientsNote ?? null, notes: input.notes ?? null, createdBy: actor.userId,
      });
      await repos.audit.append(organId, { actor: actor.userId, action: 'outgoing.draft', subjectType: 'document', subjectId: document.id, after: document });
      return document;
    });
  }

  /**
   * Phát hành: the next number of the chosen outgoing book (one series, or per type; classified in their
   * own), the ký hiệu from the type and agency/unit abbreviations, (số, ký hiệu) unique per agency and year.
   */
  async issueOutgoing(actor: Actor, organId: string, documentId: string): Promise<RegistryDocument> {
    authorize(actor, 'outgoing.issue', organId);
    const now = this.clock.now();
    return this.uow.run(async (repos) => {
      // The document locked, with its agency and drafting unit: one read.
      const found = await repos.documents.findForIssue(organId, documentId);
      if (!found) await requireAgency(repos, organId); // no such agency: say so, as before any other check
      const before = found?.document;
      if (!found || !before || before.direction !== 'outgoing') throw new DomainError('registry.document_not_found');
      if (before.status === 'issued') throw new DomainError('registry.already_issued');
      const { agency, unit } = found;
      const codeNotation = buildNotation({ typeName: before.metadata.typeName, agencyAbbreviation: agency.abbreviation, unitAbbreviation: unit?.abbreviation });
      const year = vietnamYear(now);
      const seriesKey = outgoingSeriesKey(agency.outgoingSeriesMode, before.metadata.typeName, before.confidentiality);
      const book = { agencyOrganId: organId, direction: 'outgoing' as const, seriesKey, year, name: registerName('outgoing', seriesKey, year) };
      const document = await repos.documents.markIssued(documentId, book, { codeNotation, issuedDate: vietnamDate(now) });
      await repos.audit.append(organId, { actor: actor.userId, action: 'outgoing.issue', subjectType: 'document', subjectId: documentId, before, after: document });
      return document;
    });
  }

  async getDocument(actor: Actor, organId: string, documentId: string): Promise<RegistryDocument> {
    authorize(actor, 'document.read', organId);
    const document = await this.uow.run((repos) => repos.documents.find(organId, documentId));
    if (!document) throw new DomainError('registry.document_not_found');
    return document;
  }

  async listDocuments(actor: Actor, organId: string, filter: DocumentFilter): Promise<RegistryDocument[]> {
    authorize(actor, 'document.read', organId);
    return this.uow.run(async (repos) => {
      await requireAgency(repos, organId);
      return repos.documents.list(organId, filter);
    });
  }
}
