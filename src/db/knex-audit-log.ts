import type { Knex } from 'knex';
import { auditEntryText, chainHash, GENESIS_HASH, type AuditEvent, type AuditHead, type AuditLog, type AuditReader, type AuditRow } from '../domain/audit.ts';
import type { Clock } from '../domain/vietnam-time.ts';
import { SEND_WITH_NEXT } from './pipelined-statements.ts';
import { runSql } from './sql-text.ts';

const APPEND_ONE = `WITH head AS (
    INSERT INTO audit_heads (chain, seq, last_hash) VALUES (?, 1, sha256(?::bytea || convert_to(?, 'UTF8')))
    ON CONFLICT (chain) DO UPDATE SET seq = audit_heads.seq + 1, last_hash = sha256(audit_heads.last_hash || convert_to(?, 'UTF8'))
    RETURNING seq, last_hash
  )
  INSERT INTO audit_log (chain, seq, entry, hash) SELECT ?, seq, ?, last_hash FROM head`;

/** Locks a chain's head row, creating it at seq 0, and returns it. Bindings: chain, genesis hash. */
export const LOCK_AUDIT_HEAD = `INSERT INTO audit_heads (chain, seq, last_hash) VALUES (?, 0, ?)
  ON CONFLICT (chain) DO UPDATE SET chain = EXCLUDED.chain RETURNING seq, last_hash`;

/**
 * Entries after a head locked with LOCK_AUDIT_HEAD, as two WITH members (`log`, `advanced`) that insert
 * them, each hash = sha256(previous || entry), and move the head past them; with their bindings.
 */
export function auditAppendCtes(chain: string, head: { seq: string | number; last_hash: Buffer }, entries: readonly string[]): { sql: string; bindings: Knex.Value[] } {
  const first = Number(head.seq) + 1;
  let previous = head.last_hash;
  const hashes = entries.map((entry) => (previous = chainHash(previous, entry)));
  return {
    sql: `log AS (INSERT INTO audit_log (chain, seq, entry, hash) SELECT ?, * FROM unnest(?::bigint[], ?::text[], ?::bytea[])),
      advanced AS (UPDATE audit_heads SET seq = ?, last_hash = ? WHERE chain = ?)`,
    bindings: [chain, entries.map((_, i) => first + i), entries, hashes, first + entries.length - 1, previous, chain] as Knex.Value[],
  };
}

/**
 * Appends entries to one chain: the head row is locked and advanced, each hash = sha256(previous || entry).
 * In a transaction on PostgreSQL the append (its last statement: nothing of its answer is used) goes in the
 * packet of the statement after it — usually COMMIT — so the chain head is not held locked for a round
 * trip more (src/db/pipelined-statements.ts); an error in it fails that statement, and the transaction.
 */
async function appendToChain(trx: Knex, chain: string, entries: readonly string[]): Promise<void> {
  if (entries.length === 1) {
    const entry = entries[0] as string;
    await runSql(trx, APPEND_ONE, [chain, GENESIS_HASH, entry, entry, chain, entry], SEND_WITH_NEXT); // hashed by the database
    return;
  }
  const head = (await runSql<{ seq: string; last_hash: Buffer }>(trx, LOCK_AUDIT_HEAD, [chain, GENESIS_HASH])).rows[0] as { seq: string; last_hash: Buffer };
  const append = auditAppendCtes(chain, head, entries);
  await runSql(trx, `WITH ${append.sql} SELECT 1`, append.bindings, SEND_WITH_NEXT);
}

/**
 * The audit entries of one transaction, written together just before it commits: the chain's head row
 * (one per agency, which every audited change of the agency must lock) is then held for those statements
 * and the commit only, not for the whole transaction. Chains are written in name order (no deadlock
 * between two transactions that audit the same agencies). A savepoint's entries go to a child, adopted
 * when the savepoint is released and dropped when it is rolled back.
 */
export class DeferredAuditEntries {
  private readonly entries: { chain: string; entry: string }[] = [];

  add(chain: string, entry: string): void { this.entries.push({ chain, entry }); }

  child(): DeferredAuditEntries { return new DeferredAuditEntries(); }

  adopt(child: DeferredAuditEntries): void { this.entries.push(...child.entries.splice(0)); }

  async flush(trx: Knex): Promise<void> {
    const byChain = new Map<string, string[]>();
    for (const { chain, entry } of this.entries.splice(0)) byChain.set(chain, [...(byChain.get(chain) ?? []), entry]);
    for (const chain of [...byChain.keys()].sort()) await appendToChain(trx, chain, byChain.get(chain) as string[]);
  }
}

/**
 * The audit log of a transaction: with `deferred`, entries are written when the unit of work commits
 * (DeferredAuditEntries); without, each append is one statement at once. The entry's text (and its time)
 * is fixed when append is called.
 */
export class KnexAuditLog implements AuditLog {
  constructor(private readonly trx: Knex, private readonly clock: Clock, private readonly deferred?: DeferredAuditEntries) {}

  async append(chain: string, event: AuditEvent): Promise<void> {
    const entry = auditEntryText(chain, event, this.clock.now());
    if (this.deferred) this.deferred.add(chain, entry);
    else await appendToChain(this.trx, chain, [entry]);
  }
}

/** Read side for `edoc-node audit verify`: chains, heads, and each chain's rows in seq order (batched). */
export class KnexAuditReader implements AuditReader {
  constructor(private readonly knex: Knex) {}

  async chains(): Promise<string[]> {
    const rows = await this.knex.raw<{ rows: { chain: string }[] }>('SELECT chain FROM audit_heads UNION SELECT DISTINCT chain FROM audit_log ORDER BY 1');
    return rows.rows.map((r) => r.chain);
  }

  async head(chain: string): Promise<AuditHead | null> {
    const row = await this.knex('audit_heads').where({ chain }).first();
    return row ? { seq: row.seq, lastHash: row.last_hash } : null;
  }

  async *rows(chain: string, batch = 1000): AsyncIterable<AuditRow> {
    let after = 0;
    for (;;) {
      const rows = await this.knex('audit_log').where({ chain }).andWhere('seq', '>', after).orderBy('seq').limit(batch);
      for (const r of rows) yield { seq: r.seq, entry: r.entry, hash: r.hash };
      if (rows.length < batch) return;
      after = rows[rows.length - 1].seq;
    }
  }

  async entries(chain: string, limit: number, beforeSeq?: number): Promise<{ seq: number; entry: unknown }[]> {
    const q = this.knex('audit_log').where({ chain });
    if (beforeSeq) q.andWhere('seq', '<', beforeSeq);
    const rows = await q.orderBy('seq', 'desc').limit(limit);
    return rows.map((r) => ({ seq: r.seq, entry: JSON.parse(r.entry) }));
  }
}
