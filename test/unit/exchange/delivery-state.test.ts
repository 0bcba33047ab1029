// Per-recipient delivery state (DOMAIN.md §4): statuses apply in progress order whatever order they
// arrive in, twice is once, 02 only before registration; the số đến travels in 03's description.
import { expect } from 'chai';
import type { StatusCode } from '../../../src/domain/edxml-codes.ts';
import { RESENT, advanceDelivery, deliveryState, progressAfter, type StatusEvent } from '../../../src/domain/exchange.ts';
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

  it('after a resend (to a recipient that had returned it) a new round of statuses applies; a late 02 from before changes nothing', () => {
    const event = (code: StatusEvent['code'], minute: number): StatusEvent => ({ code, at: `2026-12-07T01:${String(minute).padStart(2, '0')}:00.000Z`, description: null, arrivalNumber: null });
    const at = (minute: number) => event('01', minute).at;
    const firstRound = [event('01', 0), event('02', 1)];
    // The first round: a code applies once.
    expect(progressAfter('02', firstRound, '01', at(2))).to.equal(null);
    const resent = [...firstRound, event(RESENT, 10)];
    expect(progressAfter(null, resent, '01', at(11))).to.deep.equal({ status: '01' });
    const received = [...resent, event('01', 11)];
    expect(progressAfter('01', received, '01', at(12))).to.equal(null); // twice in the round is once
    expect(progressAfter('01', received, '03', at(12))).to.deep.equal({ status: '03' });
    expect(progressAfter('01', received, '02', at(12))).to.deep.equal({ status: '02' }); // returned again
    expect(progressAfter('01', received, '02', at(1))).to.equal(null); // the earlier 02, late: older than the round's 01
    // That late 02 consumed before the round's 01: the 01, newer, supersedes it.
    const lateFirst = [...resent, event('02', 1)];
    expect(progressAfter('02', lateFirst, '01', at(11))).to.deep.equal({ status: '01' });
    expect(progressAfter('02', [...resent, event('02', 12)], '01', at(11))).to.deep.equal({ status: '02' }); // a 02 given after that 01 stands
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
