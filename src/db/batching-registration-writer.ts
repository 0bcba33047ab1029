// Group registration: every registration of one book that arrives while the previous write of that book
// is in flight is written by the next transaction, together. The book's counter row is locked once per
// group instead of once per document, so the serial part (lock → write → commit) is paid per group.
// Numbers stay gapless: a group's transaction commits all its documents or none; when it fails, each
// document of the group is registered alone (one bad document never fails the others).
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { auditEntryTextAroundNumber, GENESIS_HASH } from '../domain/audit.ts';
import { auditAppendCtes, LOCK_AUDIT_HEAD } from './knex-audit-log.ts';
import type { RegistryDocument } from '../domain/document.ts';
import type { DuplicateCandidate, IncomingRegistration, IncomingRegistrationWriter } from '../domain/registry-ports.ts';
import { toDocument, toInsertRow, type DocumentRow } from './document-rows.ts';
import { KnexDocumentRepository } from './knex-document-repository.ts';
import { translateDatabaseError } from './knex-unit-of-work.ts';

/** Registrations earlier in the same group that the probe (run before the group was written) cannot see. */
function duplicatesWithinGroup(documents: readonly RegistryDocument[], index: number): DuplicateCandidate[] {
  const d = documents[index] as RegistryDocument;
  const found: DuplicateCandidate[] = [];
  for (const e of documents.slice(0, index)) {
    const sameIssuer = d.senderOrganId ? e.senderOrganId === d.senderOrganId : e.metadata.organName.toLowerCase() === d.metadata.organName.toLowerCase();
    if (d.metadata.codeNumber && d.metadata.codeNotation && e.metadata.codeNumber === d.metadata.codeNumber && e.metadata.codeNotation === d.metadata.codeNotation && sameIssuer) {
      found.push({ documentId: e.id, arrivalNumber: e.metadata.arrivalNumber, matchedOn: 'code' });
    } else if (d.edxmlDocumentId && e.edxmlDocumentId === d.edxmlDocumentId) {
      found.push({ documentId: e.id, arrivalNumber: e.metadata.arrivalNumber, matchedOn: 'document_id' });
    }
  }
  return found;
}

interface Pending {
  readonly item: IncomingRegistration;
  resolve(result: { document: RegistryDocument; duplicates: DuplicateCandidate[] }): void;
  reject(error: unknown): void;
}

export class BatchingRegistrationWriter implements IncomingRegistrationWriter {
  private readonly queues = new Map<string, Pending[]>();
  private readonly draining = new Set<string>();

  constructor(private readonly knex: Knex, private readonly maxGroup = 64) {}

  register(item: IncomingRegistration): Promise<{ document: RegistryDocument; duplicates: DuplicateCandidate[] }> {
    const r = item.register;
    const key = `${r.agencyOrganId}|${r.direction}|${r.seriesKey}|${r.year}|${item.audit.chain}`;
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      queue.push({ item, resolve, reject });
      this.queues.set(key, queue);
      if (!this.draining.has(key)) void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    this.draining.add(key);
    try {
      for (;;) {
        // Let the callers whose registrations were just written submit their next ones first: without this
        // yield, groups alternate between one document (the caller that arrived during the write) and the rest.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const queue = this.queues.get(key);
        if (!queue || queue.length === 0) { this.queues.delete(key); return; }
        const group = queue.splice(0, this.maxGroup);
        try {
          const results = await this.writeGroup(group.map((p) => p.item));
          group.forEach((p, i) => p.resolve(results[i] as { document: RegistryDocument; duplicates: DuplicateCandidate[] }));
        } catch (error) {
          if (group.length === 1) group[0]?.reject(translateDatabaseError(error));
          // Each one alone, so that only the faulty document fails.
          else for (const p of group) await this.writeOne(p);
        }
      }
    } finally {
      this.draining.delete(key);
    }
  }

  private async writeOne(p: Pending): Promise<void> {
    try {
      p.resolve((await this.writeGroup([p.item]))[0] as { document: RegistryDocument; duplicates: DuplicateCandidate[] });
    } catch (error) {
      p.reject(translateDatabaseError(error));
    }
  }

  private async writeGroup(items: readonly IncomingRegistration[]): Promise<{ document: RegistryDocument; duplicates: DuplicateCandidate[] }[]> {
    const repository = new KnexDocumentRepository(this.knex);
    // Duplicate probes (warnings only) run beside the numbered write, on other connections: whether or not
    // they see this group's rows, those are dropped from their answers, and earlier members of the group
    // are compared in memory (duplicatesWithinGroup). Earlier groups committed before this one started.
    const groupIds = new Set(items.map(({ doc }) => doc.id));
    const probes = repository.findDuplicatesOfGroup(items[0]?.doc.agencyOrganId as string, items.map(({ doc }) => ({
      codeNumber: doc.metadata.codeNumber, codeNotation: doc.metadata.codeNotation, senderOrganId: doc.senderOrganId,
      organName: doc.metadata.organName, edxmlDocumentId: doc.edxmlDocumentId,
    })));
    probes.catch(() => {}); // awaited below; a failed write must not leave it unhandled
    const first = items[0] as IncomingRegistration;
    const chain = first.audit.chain;
    const n = items.length;
    const rows = await this.knex.transaction(async (trx) => {
      const register = first.register;
      // Two statements: lock the book's counter and the audit chain's head together, then insert the
      // documents, their audit entries and the new head together.
      const locked = (await trx.raw<{ rows: { id: string; counter: number; year: number; seq: string; last_hash: Buffer }[] }>(
        `WITH reg AS (
           INSERT INTO registers (id, agency_organ_id, direction, series_key, year, name, counter) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (agency_organ_id, direction, series_key, year) DO UPDATE SET counter = registers.counter + ?
           RETURNING id, counter, year
         ), head AS (${LOCK_AUDIT_HEAD})
         SELECT reg.id, reg.counter, reg.year, head.seq, head.last_hash FROM reg, head`,
        [randomUUID(), register.agencyOrganId, register.direction, register.seriesKey, register.year, register.name, n, n, chain, GENESIS_HASH],
      )).rows[0] as { id: string; counter: number; year: number; seq: string; last_hash: Buffer };
      const firstNumber = locked.counter - n + 1;
      const documents = items.map(({ doc, arrivalDate }, i) => ({
        ...toInsertRow(doc, trx), register_id: locked.id, register_year: locked.year, arrival_number: firstNumber + i, arrival_date: arrivalDate,
      }));
      const entries = items.map(({ audit }, i) => {
        const { prefix, suffix } = auditEntryTextAroundNumber(audit.chain, audit.event, audit.at);
        return `${prefix}${firstNumber + i}${suffix}`;
      });
      const insert = trx('documents').insert(documents).returning('*').toSQL();
      const append = auditAppendCtes(chain, locked, entries);
      return (await trx.raw<{ rows: DocumentRow[] }>(`WITH doc AS (${insert.sql}), ${append.sql} SELECT * FROM doc`, [...insert.bindings, ...append.bindings])).rows;
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const documents = items.map(({ doc }) => toDocument({ ...(byId.get(doc.id) as DocumentRow), file_code: null }));
    const duplicates = (await probes).map((found) => found.filter((d) => !groupIds.has(d.documentId)));
    return documents.map((document, i) => ({ document, duplicates: [...(duplicates[i] ?? []), ...duplicatesWithinGroup(documents, i)] }));
  }
}
