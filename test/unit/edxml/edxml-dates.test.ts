// Dates (yyyy/MM/dd → a calendar day that never shifts) and timestamps (Vietnam time, UTC+7).
import { expect } from 'chai';
import { readEdxmlDate, readEdxmlTimestamp, writeEdxmlDate, writeEdxmlTimestamp, type DateOnly } from '../../../src/edxml/edxml-dates.ts';

describe('edXML dates', () => {
  it('reads yyyy/MM/dd as a calendar day and refuses days that do not exist', () => {
    expect(readEdxmlDate('2024/02/29')).to.deep.equal({ date: '2024-02-29', usualForm: true });
    expect(readEdxmlDate('2024-02-29')).to.deep.equal({ date: '2024-02-29', usualForm: false });
    for (const bad of ['2023/02/29', '2014/02/30', '2024/13/01', '2024/1/1', '29/02/2024', '']) expect(readEdxmlDate(bad), bad).to.equal(undefined);
    expect(writeEdxmlDate('2026-01-01' as DateOnly)).to.equal('2026/01/01');
  });

  it('reads timestamps as Vietnam time: 00:30 on 1 January in Hà Nội is still 31 December in UTC', () => {
    expect(readEdxmlTimestamp('2026/01/01 00:30:00')?.at.toISOString()).to.equal('2025-12-31T17:30:00.000Z');
    expect(writeEdxmlTimestamp(new Date('2025-12-31T17:30:00Z'))).to.equal('2026/01/01 00:30:00');
    expect(readEdxmlTimestamp('2026-01-01T00:30:00+07:00')).to.deep.equal({ at: new Date('2025-12-31T17:30:00Z'), usualForm: false });
    for (const bad of ['2026/01/01 24:00:00', '2026/02/30 10:00:00', '2026/01/01', 'yesterday']) expect(readEdxmlTimestamp(bad), bad).to.equal(undefined);
  });
});
