// Per-recipient delivery state (DOMAIN.md §4): statuses apply in progress order whatever order they
// arrive in, twice is once, 02 only before registration; the số đến travels in 03's description.
import { expect } from 'chai';
import type { StatusCode } from '../../../src/domain/edxml-codes.ts';
import { advanceDelivery, deliveryState } from '../../../src/domain/exchange.ts';
import { arrivalNumberOf, describeStatus } from '../../../src/services/exchange-status.ts';

const apply = (codes: readonly StatusCode[]): StatusCode | null => codes.reduce<StatusCode | null>((s, c) => advanceDelivery(s, c), null);

describe('delivery state', () => {
  it('ends at the furthest status whatever the arrival order', () => {
    expect(apply(['01', '03', '05'])).to.equal('05');
    expect(apply(['05', '03', '01'])).to.equal('05');
    expect(apply(['03', '06', '04', '05', '01'])).to.equal('06');
    expect(apply(['01', '01', '03', '03'])).to.equal('03');
  });

  it('02 ends a delivery only before registration', () => {
    expect(apply(['01', '02'])).to.equal('02');
    expect(apply(['01', '02', '03'])).to.equal('02');
    expect(apply(['01', '03', '02'])).to.equal('03');
    expect(apply(['02'])).to.equal('02');
  });

  it('recall/update answers do not move progress', () => {
    expect(apply(['01', '03', '15'])).to.equal('03');
    expect(apply(['16'])).to.equal(null);
  });

  it('queued/sent/failed come from the outbox until a status arrives', () => {
    expect(deliveryState(null, 'pending')).to.equal('queued');
    expect(deliveryState(null, null)).to.equal('queued');
    expect(deliveryState(null, 'sent')).to.equal('sent');
    expect(deliveryState(null, 'failed')).to.equal('failed');
    expect(deliveryState('03', 'sent')).to.equal('03');
  });

  it('03 carries the số đến and it is read back', () => {
    expect(describeStatus('03', 12)).to.equal('Đã tiếp nhận, số đến: 12');
    expect(arrivalNumberOf(describeStatus('03', 12))).to.equal(12);
    expect(arrivalNumberOf('Đã tiếp nhận')).to.equal(null);
    expect(describeStatus('02', null, 'Gửi nhầm')).to.equal('Từ chối tiếp nhận: Gửi nhầm');
  });
});
