// The inbox in PostgreSQL (table axis_inbox, migration 20261123130000), written in the caller's
// transaction. `INSERT … ON CONFLICT DO NOTHING` on the primary key (recipient, message id) waits for a
// concurrent transaction holding the same key and then inserts nothing: the second consumer of a
// message learns it is a duplicate, rolls back its work and returns the first one's outcome.
import type { Knex } from 'knex';
import type { InboxOutcome, InboxRecord, InboxStore, UnitOfWork } from '../domain/axis-inbox.ts';
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
    return row && {
      messageId: row.message_id, recipient: row.recipient_organ_id, sender: row.sender_organ_id, messageType: row.message_type,
      packageDigest: row.package_digest, outcome: row.outcome, receivedAt: row.received_at,
    };
  }

  async record(trx: Knex.Transaction, record: InboxRecord): Promise<'recorded' | 'duplicate'> {
    const inserted = await trx('axis_inbox')
      .insert({
        recipient_organ_id: record.recipient, message_id: record.messageId, sender_organ_id: record.sender,
        message_type: record.messageType, package_digest: record.packageDigest, outcome: JSON.stringify(record.outcome), received_at: record.receivedAt,
      })
      .onConflict(['recipient_organ_id', 'message_id']).ignore()
      .returning('message_id');
    return inserted.length === 1 ? 'recorded' : 'duplicate';
  }
}

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
