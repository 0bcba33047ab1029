import type { Knex } from 'knex';
import type { Agency, AgencyRepository, OutgoingSeriesMode, Unit } from '../domain/agency.ts';
import { runSql } from './sql-text.ts';

export interface AgencyRow { organ_id: string; name: string; abbreviation: string; level: Agency['level']; parent_organ_id: string | null; outgoing_series_mode: OutgoingSeriesMode; hosted: boolean }
interface UnitRow { id: string; agency_organ_id: string; code: string; name: string; abbreviation: string }

export const toAgency = (r: AgencyRow): Agency => ({ organId: r.organ_id, name: r.name, abbreviation: r.abbreviation, level: r.level, parentOrganId: r.parent_organ_id, outgoingSeriesMode: r.outgoing_series_mode, hosted: r.hosted });
const toUnit = (r: UnitRow): Unit => ({ id: r.id, agencyOrganId: r.agency_organ_id, code: r.code, name: r.name, abbreviation: r.abbreviation });

export class KnexAgencyRepository implements AgencyRepository {
  constructor(private readonly trx: Knex) {}

  async find(organId: string): Promise<Agency | null> {
    const { rows: [row] } = await runSql<AgencyRow>(this.trx, 'SELECT * FROM agencies WHERE organ_id = ? LIMIT 1', [organId]); // every document issued: SQL text, not knex's builder
    return row ? toAgency(row) : null;
  }

  async list(): Promise<Agency[]> {
    return (await this.trx<AgencyRow>('agencies').orderBy('organ_id')).map(toAgency);
  }

  async insert(a: Agency): Promise<void> {
    await this.trx('agencies').insert({ organ_id: a.organId, name: a.name, abbreviation: a.abbreviation, level: a.level, parent_organ_id: a.parentOrganId, outgoing_series_mode: a.outgoingSeriesMode, hosted: a.hosted });
  }

  async setOutgoingSeriesMode(organId: string, mode: OutgoingSeriesMode): Promise<void> {
    await this.trx('agencies').where({ organ_id: organId }).update({ outgoing_series_mode: mode });
  }

  async findUnit(agencyOrganId: string, unitId: string): Promise<Unit | null> {
    const { rows: [row] } = await runSql<UnitRow>(this.trx, 'SELECT * FROM units WHERE id = ? AND agency_organ_id IS NOT DISTINCT FROM ? LIMIT 1', [unitId, agencyOrganId]);
    return row ? toUnit(row) : null;
  }

  async listUnits(agencyOrganId: string): Promise<Unit[]> {
    return (await this.trx<UnitRow>('units').where({ agency_organ_id: agencyOrganId }).orderBy('code')).map(toUnit);
  }

  async insertUnit(u: Unit): Promise<void> {
    await this.trx('units').insert({ id: u.id, agency_organ_id: u.agencyOrganId, code: u.code, name: u.name, abbreviation: u.abbreviation });
  }
}
