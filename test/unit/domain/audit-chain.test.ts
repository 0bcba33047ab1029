import { expect } from 'chai';
import { auditEntryText, canonicalJson, chainHash, GENESIS_HASH, verifyAuditChain, type AuditRow } from '../../../src/domain/audit.ts';

async function* rowsOf(rows: AuditRow[]): AsyncIterable<AuditRow> { yield* rows; }

function buildChain(n: number): AuditRow[] {
  const rows: AuditRow[] = [];
  let previous: Buffer = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq += 1) {
    const entry = auditEntryText('A', { actor: 'u', action: 'incoming.register', subjectType: 'document', subjectId: `d${seq}`, after: { n: seq } }, new Date(Date.UTC(2026, 0, seq)));
    const hash = chainHash(previous, entry);
    rows.push({ seq, entry, hash });
    previous = hash;
  }
  return rows;
}

describe('audit hash chain (pure)', () => {
  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).to.equal('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}');
  });

  it('accepts an intact chain and names the first altered, missing or trailing-removed entry', async () => {
    const rows = buildChain(5);
    const head = { seq: 5, lastHash: rows[4]!.hash };
    expect((await verifyAuditChain('A', rowsOf(rows), head)).broken).to.equal(null);

    const altered = rows.map((r) => (r.seq === 3 ? { ...r, entry: r.entry.replace('d3', 'd9') } : r));
    expect((await verifyAuditChain('A', rowsOf(altered), head)).broken).to.include({ seq: 3, reason: 'hash_mismatch' });

    const missing = rows.filter((r) => r.seq !== 2);
    expect((await verifyAuditChain('A', rowsOf(missing), head)).broken).to.include({ seq: 2, reason: 'missing_entry' });

    expect((await verifyAuditChain('A', rowsOf(rows.slice(0, 4)), head)).broken).to.include({ reason: 'head_mismatch' });
    expect((await verifyAuditChain('A', rowsOf(rows), null)).broken).to.include({ reason: 'missing_head' });
  });
});
