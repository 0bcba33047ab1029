import type { AdministrativeLevel } from './demo-network.ts';

export type { AdministrativeLevel } from './demo-network.ts';

/** Nghị định 30, art. 15: one outgoing series for every type, or one series per document type. */
export type OutgoingSeriesMode = 'single' | 'per_type';

export interface Agency {
  readonly organId: string;
  readonly name: string;
  readonly abbreviation: string;
  readonly level: AdministrativeLevel;
  readonly parentOrganId: string | null;
  readonly outgoingSeriesMode: OutgoingSeriesMode;
  readonly hosted: boolean;
}

export interface Unit {
  readonly id: string;
  readonly agencyOrganId: string;
  readonly code: string;
  readonly name: string;
  readonly abbreviation: string;
}

export interface AgencyRepository {
  find(organId: string): Promise<Agency | null>;
  list(): Promise<Agency[]>;
  insert(agency: Agency): Promise<void>;
  setOutgoingSeriesMode(organId: string, mode: OutgoingSeriesMode): Promise<void>;
  findUnit(agencyOrganId: string, unitId: string): Promise<Unit | null>;
  listUnits(agencyOrganId: string): Promise<Unit[]>;
  insertUnit(unit: Unit): Promise<void>;
}
