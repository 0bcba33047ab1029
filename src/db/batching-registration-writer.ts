// Group registration: every registration of one book that arrives while the previous write of that book
// is in flight is written by the next transaction, together. The book's counter row is locked once per
// group instead of once per document, so the serial part (lock → write → commit) is paid per group.
// Numbers stay gapless: a group's transaction commits all its documents or none; when it fails, each
// document of the group is registered alone (one bad document never fails the others).
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { auditEntryTextAroundNumber, chainHash, GENESIS_HASH } from '../domain/audit.ts';
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
        const queue = this.queues.get(key);
        if (!queue || queue.length === 0) { this.queues.delete(key); return; }
        const group = queue.splice(0, this.maxGroup);
        if (group.length > 1) {
          try {
            const results = await this.writeGroup(group.map((p) => p.item));
            group.forEach((p, i) => p.resolve(results[i] as { document: RegistryDocument; duplicates: DuplicateCandidate[] }));
            continue;
          } catch {
            // fall through: each one alone, so that only the faulty document fails
          }
        }
        for (const p of group) await this.writeOne(p);
      }
    } finally {
      this.draining.delete(key);
    }
  }

  private async writeOne(p: Pending): Promise<void> {
    try {
      const { doc, register, arrivalDate, audit } = p.item;
      p.resolve(await new KnexDocumentRepository(this.knex).insertWithNextArrivalNumber(doc, register, arrivalDate, audit));
    } catch (error) {
      p.reject(translateDatabaseError(error));
    }
  }

  private async writeGroup(items: readonly IncomingRegistration[]): Promise<{ document: RegistryDocument; duplicates: DuplicateCandidate[] }[]> {
    const repository = new KnexDocumentRepository(this.knex);
    // Duplicate probes first, outside the lock (warnings only); then the numbered writes in one transaction.
    const duplicates = await Promise.all(items.map(({ doc }) => repository.findDuplicates(doc.agencyOrganId, {
      codeNumber: doc.metadata.codeNumber, codeNotation: doc.metadata.codeNotation, senderOrganId: doc.senderOrganId,
      organName: doc.metadata.organName, edxmlDocumentId: doc.edxmlDocumentId,
    })));
    const first = items[0] as IncomingRegistration;
    const chain = first.audit.chain;
    const n = items.length;
    const rows = await this.knex.transaction(async (trx) => {
      const register = first.register;
      const reg = (await trx.raw<{ rows: { id: string; counter: number; year: number }[] }>(
        `INSERT INTO registers (id, agency_organ_id, direction, series_key, year, name, counter) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (agency_organ_id, direction, series_key, year) DO UPDATE SET counter = registers.counter + ?
         RETURNING id, counter, year`,
        [randomUUID(), register.agencyOrganId, register.direction, register.seriesKey, register.year, register.name, n, n],
      )).rows[0] as { id: string; counter: number; year: number };
      const head = (await trx.raw<{ rows: { seq: number; last_hash: Buffer }[] }>(
        `INSERT INTO audit_heads (chain, seq, last_hash) VALUES (?, 0, ?)
         ON CONFLICT (chain) DO UPDATE SET chain = EXCLUDED.chain RETURNING seq, last_hash`,
        [chain, GENESIS_HASH],
      )).rows[0] as { seq: number; last_hash: Buffer };
      const firstNumber = reg.counter - n + 1;
      const documents = items.map(({ doc, arrivalDate }, i) => ({
        ...toInsertRow(doc, trx), register_id: reg.id, register_year: reg.year, arrival_number: firstNumber + i, arrival_date: arrivalDate,
      }));
      const inserted = (await trx('documents').insert(documents).returning('*')) as DocumentRow[];
      let previous: Buffer = head.last_hash;
      const entries = items.map(({ audit }, i) => {
        const { prefix, suffix } = auditEntryTextAroundNumber(audit.chain, audit.event, audit.at);
        const entry = `${prefix}${firstNumber + i}${suffix}`;
        previous = chainHash(previous, entry);
        return { chain, seq: head.seq + i + 1, entry, hash: previous };
      });
      await trx('audit_log').insert(entries);
      await trx('audit_heads').where({ chain }).update({ seq: head.seq + n, last_hash: previous });
      return inserted;
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const documents = items.map(({ doc }) => toDocument({ ...(byId.get(doc.id) as DocumentRow), file_code: null }));
    return documents.map((document, i) => ({ document, duplicates: [...(duplicates[i] ?? []), ...duplicatesWithinGroup(documents, i)] }));
  }
}
