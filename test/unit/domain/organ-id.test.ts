// Organ identifiers (DOMAIN.md §5): both forms validate; structure (parent chain, depth, administrative
// level) is derived only where the shape allows.
import { expect } from 'chai';
import { isDomainError } from '../../../src/domain/errors.ts';
import { describeOrganId, isQcvn102OrganId, isValidOrganId, parentOrganId, parseOrganId } from '../../../src/domain/organ-id.ts';

describe('organ ids', () => {
  it('validates the QCVN 102 form and the Quyết định 20/2020 form, rejects the rest', () => {
    for (const id of ['000.00.00.G22', '000.21.32.H53', '28.22.H17', '14.00.W00', 'H53.35.01', 'G22']) expect(isValidOrganId(id), id).to.equal(true);
    for (const id of ['', 'abc', '000..00.G22', '.000.00.00.G22', '000.00.00.G22.', 'a'.repeat(36).toUpperCase(), '000 00 00 G22']) expect(isValidOrganId(id), id).to.equal(false);
    expect(isQcvn102OrganId('000.00.13.H53')).to.equal(true);
    expect(isQcvn102OrganId('28.22.H17')).to.equal(false);
  });

  it('parseOrganId throws agency.invalid_organ_id naming the field', () => {
    try {
      parseOrganId('not an id', 'from.organId');
      expect.fail('accepted');
    } catch (e) {
      expect(isDomainError(e, 'agency.invalid_organ_id')).to.equal(true);
      if (isDomainError(e)) expect(e.details[0]?.field).to.equal('from.organId');
    }
  });

  it('reads the QCVN 102 form right to left: UBND xã An Bình → huyện Châu Thành → tỉnh Tây Ninh', () => {
    const s = describeOrganId('000.21.32.H53');
    expect(s.form).to.equal('qcvn102');
    expect(s.rootBody).to.equal('H53');
    expect(s.depth).to.equal(3);
    expect(s.parents).to.deep.equal(['000.00.32.H53', '000.00.00.H53']);
    expect(s.administrativeLevel).to.equal(undefined); // a level-3 unit: the directory says what it is
    expect(parentOrganId('000.00.32.H53')).to.equal('000.00.00.H53');
  });

  it('knows a level-1 body: G central, H province, no parent', () => {
    expect(describeOrganId('000.00.00.G22')).to.deep.include({ depth: 1, administrativeLevel: 'central', parents: [] });
    expect(describeOrganId('000.00.00.H41')).to.deep.include({ depth: 1, administrativeLevel: 'province', parents: [] });
    expect(describeOrganId('000.00.13.H53')).to.deep.include({ depth: 2, administrativeLevel: undefined, parents: ['000.00.00.H53'] });
    expect(describeOrganId('001.00.00.G22').parents).to.deep.equal(['000.00.00.G22']);
  });

  it('reads the vendors’ shortened right-to-left ids', () => {
    expect(describeOrganId('28.22.H17')).to.deep.include({ form: 'qcvn102-short', rootBody: 'H17', depth: 3, parents: ['00.22.H17', '00.00.H17'] });
    expect(describeOrganId('14.00.W00')).to.deep.include({ form: 'qcvn102-short', depth: 2, parents: ['00.00.W00'] });
  });

  it('reads the Quyết định 20/2020 form left to right', () => {
    expect(describeOrganId('H53.35.01')).to.deep.include({ form: 'qd20', rootBody: 'H53', depth: 3, parents: ['H53.35', 'H53'], administrativeLevel: undefined });
    expect(describeOrganId('H53')).to.deep.include({ form: 'qd20', depth: 1, parents: [], administrativeLevel: 'province' });
  });

  it('keeps other valid ids opaque', () => {
    expect(describeOrganId('VPCP2025XYZ')).to.deep.include({ form: 'opaque', rootBody: undefined, depth: undefined, parents: [], administrativeLevel: undefined });
  });
});
