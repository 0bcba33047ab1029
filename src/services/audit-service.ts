import { authorize, type Actor } from '../domain/actor.ts';
import { verifyAuditChain, type AuditReader, type BrokenLink } from '../domain/audit.ts';

export interface AuditVerification {
  readonly chains: readonly { chain: string; entries: number }[];
  readonly broken: BrokenLink | null; // the first broken link found, chains in name order
}

export class AuditService {
  constructor(private readonly reader: AuditReader) {}

  /** `edoc-node audit verify`: walks every chain and reports the first broken link. */
  async verify(): Promise<AuditVerification> {
    const chains: { chain: string; entries: number }[] = [];
    for (const chain of await this.reader.chains()) {
      const result = await verifyAuditChain(chain, this.reader.rows(chain), await this.reader.head(chain));
      chains.push({ chain, entries: result.entries });
      if (result.broken) return { chains, broken: result.broken };
    }
    return { chains, broken: null };
  }

  /** Read-only view for the agency's quản trị; there is no way to edit the log through the application. */
  async entries(actor: Actor, organId: string, limit: number, beforeSeq?: number): Promise<{ seq: number; entry: unknown }[]> {
    authorize(actor, 'audit.read', organId);
    return this.reader.entries(organId, limit, beforeSeq);
  }
}
