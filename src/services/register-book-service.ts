// Sổ đăng ký văn bản đến / đi for a year and an optional date range, in the columns of Phụ lục IV.
import { authorize, type Actor } from '../domain/actor.ts';
import type { Agency } from '../domain/agency.ts';
import type { Direction, RegistryDocument } from '../domain/document.ts';
import { DomainError } from '../domain/errors.ts';
import type { Register } from '../domain/registers.ts';
import type { UnitOfWork } from '../domain/unit-of-work.ts';
import { startOfVietnamDay } from '../domain/vietnam-time.ts';

export interface RegisterBook {
  readonly agency: Agency;
  readonly direction: Direction;
  readonly year: number;
  readonly from: string | null; // YYYY-MM-DD, inclusive
  readonly to: string | null; // YYYY-MM-DD, inclusive
  readonly registers: readonly Register[];
  readonly entries: readonly RegistryDocument[];
}

const nextDay = (date: string): Date => new Date(startOfVietnamDay(date).getTime() + 24 * 3600 * 1000);

export class RegisterBookService {
  constructor(private readonly uow: UnitOfWork) {}

  async book(actor: Actor, organId: string, query: { direction: Direction; year: number; from?: string; to?: string; seriesKey?: string }): Promise<RegisterBook> {
    authorize(actor, 'register.read', organId);
    return this.uow.run(async (repos) => {
      const agency = await repos.agencies.find(organId);
      if (!agency) throw new DomainError('agency.not_found');
      const registers = (await repos.registers.list(organId, query.year)).filter((r) => r.direction === query.direction);
      const entries = await repos.documents.registerEntries({
        agencyOrganId: organId, direction: query.direction, year: query.year, seriesKey: query.seriesKey,
        from: query.from ? startOfVietnamDay(query.from) : undefined,
        until: query.to ? nextDay(query.to) : undefined,
      });
      return { agency, direction: query.direction, year: query.year, from: query.from ?? null, to: query.to ?? null, registers, entries };
    });
  }
}
