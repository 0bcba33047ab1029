import { expect } from 'chai';
import { buildNotation, formatDocumentNumber, fullNotation } from '../../../src/domain/notation.ts';
import { outgoingSeriesKey, registerName } from '../../../src/domain/registers.ts';
import { vietnamDate, vietnamIso, vietnamYear } from '../../../src/domain/vietnam-time.ts';
import { authorize } from '../../../src/domain/actor.ts';
import { isDomainError } from '../../../src/domain/errors.ts';

describe('ký hiệu and số (Nghị định 30, art. 15)', () => {
  const cases: [typeName: string, agency: string, unit: string | null, expected: string][] = [
    ['Quyết định', 'UBND', null, 'QĐ-UBND'],
    ['Công văn', 'VPCP', 'KSTT', 'VPCP-KSTT'],
    ['Công văn', 'VPCP', 'TTĐT', 'VPCP-TTĐT'],
    ['Tờ trình', 'BNV', 'CCVC', 'TTr-BNV'],
    ['Quy định', 'UBND', null, 'QyĐ-UBND'],
    ['Kế hoạch', 'STTTT', null, 'KH-STTTT'],
    ['Quye\u0302\u0301t đi\u0323nh', 'UBND', null, 'QĐ-UBND'], // decomposed diacritics (NFD input)
  ];
  for (const [typeName, agency, unit, expected] of cases) {
    it(`${typeName} of ${agency}${unit ? `/${unit}` : ''} → ${expected}`, () => {
      expect(buildNotation({ typeName, agencyAbbreviation: agency, unitAbbreviation: unit })).to.equal(expected);
    });
  }

  it('writes numbers below 10 with a leading zero and joins with a slash', () => {
    expect([1, 5, 9, 10, 1250].map(formatDocumentNumber)).to.deep.equal(['01', '05', '09', '10', '1250']);
    expect(fullNotation('05', 'QĐ-UBND')).to.equal('05/QĐ-UBND');
  });

  it('refuses an unknown type and a công văn without unit, with catalogue codes', () => {
    expect(() => buildNotation({ typeName: 'Thư', agencyAbbreviation: 'UBND' })).to.throw().that.satisfies((e: unknown) => isDomainError(e, 'registry.unknown_type'));
    expect(() => buildNotation({ typeName: 'Công văn', agencyAbbreviation: 'UBND' })).to.throw().that.satisfies((e: unknown) => isDomainError(e, 'registry.unit_abbreviation_required'));
  });
});

describe('outgoing series', () => {
  it('one series, one per type, and classified documents apart', () => {
    expect(outgoingSeriesKey('single', 'Quyết định', 'none')).to.equal('outgoing');
    expect(outgoingSeriesKey('per_type', 'Quyết định', 'none')).to.equal('outgoing:type:QĐ');
    expect(outgoingSeriesKey('per_type', 'Công văn', 'none')).to.equal('outgoing:type:Công văn');
    expect(outgoingSeriesKey('single', 'Quyết định', 'mat')).to.equal('outgoing:classified');
    expect(outgoingSeriesKey('per_type', 'Công văn', 'tuyet_mat')).to.equal('outgoing:classified');
    expect(registerName('incoming', 'incoming', 2026)).to.equal('Sổ đăng ký văn bản đến năm 2026');
    expect(registerName('outgoing', 'outgoing:type:QĐ', 2027)).to.equal('Sổ đăng ký văn bản đi (QĐ) năm 2027');
  });
});

describe('Vietnam calendar (UTC+7)', () => {
  it('puts 00:30 on 1 January in Hà Nội in the new year', () => {
    const at = new Date('2026-12-31T17:30:00Z');
    expect(vietnamYear(at)).to.equal(2027);
    expect(vietnamDate(at)).to.equal('2027-01-01');
    expect(vietnamIso(new Date('2026-11-22T02:15:00Z'))).to.equal('2026-11-22T09:15:00+07:00');
    expect(vietnamYear(new Date('2026-12-31T16:59:59Z'))).to.equal(2026);
  });
});

describe('authorize', () => {
  const clerk = { userId: 'u1', username: 'vanthu@000.00.00.G22', agencyOrganId: '000.00.00.G22', roles: ['van_thu'] as const };
  it('allows the văn thư to register for their own agency only', () => {
    expect(() => authorize({ ...clerk, roles: [...clerk.roles] }, 'incoming.register', '000.00.00.G22')).not.to.throw();
    expect(() => authorize({ ...clerk, roles: [...clerk.roles] }, 'incoming.register', '000.00.00.H53')).to.throw().that.satisfies((e: unknown) => isDomainError(e, 'auth.other_agency'));
    expect(() => authorize({ ...clerk, roles: [...clerk.roles] }, 'user.manage', '000.00.00.G22')).to.throw().that.satisfies((e: unknown) => isDomainError(e, 'auth.forbidden'));
  });
});
