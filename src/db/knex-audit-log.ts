import type { Knex } from 'knex';
import { auditEntryText, GENESIS_HASH, type AuditEvent, type AuditHead, type AuditLog, type AuditReader, type AuditRow } from '../domain/audit.ts';
import type { Clock } from '../domain/vietnam-time.ts';

/**
 * Appends to the agency's chain in one statement: the head row is locked and advanced with
 * sha256(previous || entry) computed by the database, then the entry is inserted with that hash.
 */
export class KnexAuditLog implements AuditLog {
  constructor(private readonly trx: Knex, private readonly clock: Clock) {}

  async append(chain: string, event: AuditEvent): Promise<void> {
    const entry = auditEntryText(chain, event, this.clock.now());
    await this.trx.raw(
      `WITH head AS (
         INSERT INTO audit_heads (chain, seq, last_hash) VALUES (?, 1, sha256(?::bytea || convert_to(?, 'UTF8')))
         ON CONFLICT (chain) DO UPDATE SET seq = audit_heads.seq + 1, last_hash = sha256(audit_heads.last_hash || convert_to(?, 'UTF8'))
         RETURNING seq, last_hash
       )
       INSERT INTO audit_log (chain, seq, entry, hash) SELECT ?, seq, ?, last_hash FROM head`,
      [chain, GENESIS_HASH, entry, entry, chain, entry],
    );
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
