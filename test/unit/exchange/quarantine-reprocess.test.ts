// Which quarantined packages may be run through receipt again: once, never after a 02, only with the bytes kept.
// The same rule refuses the action (service) and shows the button (presenter's `reprocessable`).
import { expect } from 'chai';
import { reprocessRefusal, type QuarantinedPackage } from '../../../src/domain/exchange.ts';
import { presentQuarantined } from '../../../src/http/presenters/exchange.ts';

const held: QuarantinedPackage = {
  id: 'q1', agencyOrganId: '000.00.00.H53', senderOrganId: '000.00.00.G22', messageId: 'm1', messageType: 'edoc', reasonCode: 'axis.directory_expired',
  reason: 'Danh bạ trục liên thông đã hết hạn.', report: null, packageSha256: 'a'.repeat(64), answered: false, receivedAt: '2026-12-06T03:00:00.000Z', reprocessed: null,
};

describe('re-processing a quarantined package', () => {
  const cases: Array<[string, QuarantinedPackage, string | null]> = [
    ['unanswered, kept, not yet re-processed', held, null],
    ['already re-processed', { ...held, reprocessed: { at: '2026-12-06T04:00:00.000Z', by: 'u1', outcome: { status: '01' } } }, 'exchange.quarantine_reprocessed'],
    ['answered 02', { ...held, answered: true }, 'exchange.quarantine_answered'],
    ['no package bytes kept', { ...held, packageSha256: null }, 'exchange.quarantine_no_package'],
  ];
  for (const [name, q, refusal] of cases) {
    it(`${name} → ${refusal ?? 'allowed'}`, () => {
      expect(reprocessRefusal(q)).to.equal(refusal);
      expect(presentQuarantined(q).reprocessable).to.equal(refusal === null);
    });
  }
});
