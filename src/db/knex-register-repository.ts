import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Register, RegisterKey } from '../domain/registers.ts';
import type { RegisterRepository } from '../domain/registry-ports.ts';

/**
 * `book`: takes the next number of a register book, for a statement that writes it (WITH book AS (…) …). The
 * upsert creates the year's book on first use (numbering restarts at 1 each 1 January) and otherwise
 * increments its counter; the row lock is held until the transaction ends, so a rollback gives the number
 * back (gapless, Nghị định 30 art. 15, 22). Bindings: `bookBindings`.
 */
export const NEXT_NUMBER_CTE = `book AS (
  INSERT INTO registers (id, agency_organ_id, direction, series_key, year, name, counter) VALUES (?, ?, ?, ?, ?, ?, 1)
  ON CONFLICT (agency_organ_id, direction, series_key, year) DO UPDATE SET counter = registers.counter + 1
  RETURNING id, year, counter)`;

export const bookBindings = (register: RegisterKey & { readonly name: string }): unknown[] =>
  [randomUUID(), register.agencyOrganId, register.direction, register.seriesKey, register.year, register.name];

export class KnexRegisterRepository implements RegisterRepository {
  constructor(private readonly trx: Knex) {}

  async list(agencyOrganId: string, year?: number): Promise<Register[]> {
    const q = this.trx('registers').where({ agency_organ_id: agencyOrganId });
    if (year !== undefined) q.andWhere({ year });
    const rows = await q.orderBy([{ column: 'year', order: 'desc' }, 'direction', 'series_key']);
    return rows.map((r) => ({ id: r.id, agencyOrganId: r.agency_organ_id, direction: r.direction, seriesKey: r.series_key, year: r.year, name: r.name, counter: r.counter }));
  }
}
