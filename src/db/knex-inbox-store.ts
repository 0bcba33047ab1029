// The inbox in PostgreSQL (table axis_inbox, migration 20261123130000), written in the caller's
// transaction. `INSERT … ON CONFLICT DO NOTHING` on the primary key (recipient, message id) waits for a
// concurrent transaction holding the same key and then inserts nothing: the second consumer of a
// message learns it is a duplicate, rolls back its work and returns the first one's outcome.
import type { Knex } from 'knex';
import { inboxKey, type InboxKey, type InboxOutcome, type InboxRecord, type InboxStore, type UnitOfWork } from '../domain/axis-inbox.ts';
import type { AxisMessageType } from '../domain/axis-transport.ts';
import { translateDatabaseError } from './knex-unit-of-work.ts';

interface InboxRow {
  recipient_organ_id: string;
  message_id: string;
  sender_organ_id: string;
  message_type: AxisMessageType;
  package_digest: string;
  outcome: InboxOutcome;
  received_at: Date;
}

export class KnexInboxStore implements InboxStore<Knex.Transaction> {
  async find(trx: Knex.Transaction, recipient: string, messageId: string): Promise<InboxRecord | undefined> {
    const row = await trx<InboxRow>('axis_inbox').where({ recipient_organ_id: recipient, message_id: messageId }).first();
    return row && toRecord(row);
  }

  async findMany(trx: Knex.Transaction, keys: readonly InboxKey[]): Promise<Map<string, InboxRecord>> {
    if (keys.length === 0) return new Map();
    const rows = await trx<InboxRow>('axis_inbox').whereIn(['recipient_organ_id', 'message_id'], keys.map((k) => [k.recipient, k.messageId]));
    return new Map(rows.map((row) => { const record = toRecord(row); return [inboxKey(record), record]; }));
  }

  async record(trx: Knex.Transaction, record: InboxRecord): Promise<'recorded' | 'duplicate'> {
    return (await this.recordMany(trx, [record])) === 1 ? 'recorded' : 'duplicate';
  }

  async recordMany(trx: Knex.Transaction, records: readonly InboxRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const inserted = await trx('axis_inbox')
      .insert(records.map((record) => ({
        recipient_organ_id: record.recipient, message_id: record.messageId, sender_organ_id: record.sender,
        message_type: record.messageType, package_digest: record.packageDigest, outcome: JSON.stringify(record.outcome), received_at: record.receivedAt,
      })))
      .onConflict(['recipient_organ_id', 'message_id']).ignore()
      .returning('message_id');
    return inserted.length;
  }
}

const toRecord = (row: InboxRow): InboxRecord => ({
  messageId: row.message_id, recipient: row.recipient_organ_id, sender: row.sender_organ_id, messageType: row.message_type,
  packageDigest: row.package_digest, outcome: row.outcome, receivedAt: row.received_at,
});

/** A unit of work handing the raw knex transaction to the inbox consumer's handler. */
export class KnexTransactionUnitOfWork implements UnitOfWork<Knex.Transaction> {
  constructor(private readonly knex: Knex) {}

  async run<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    try {
      return await this.knex.transaction(work);
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }

  /** A nested knex transaction is a SAVEPOINT: rolled back alone when `work` throws. */
  async savepoint<T>(trx: Knex.Transaction, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    try {
      return await trx.transaction(work);
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }
}
