// Update of a sent document (issue 5 item 6, BussinessDocType 2): only the updatable Phụ lục VI items
// change and the history keeps exactly the previous values of what changed; recipients are added or
// removed with the list kept valid; the receiver reads what an update package changes from its header and
// BussinessDocumentInfo (a removed recipient is addressed too, and learns it was removed).
import { expect } from 'chai';
import type { DocumentMetadata } from '../../../src/domain/document.ts';
import { isDomainError } from '../../../src/domain/errors.ts';
import { requestKindOf } from '../../../src/domain/exchange.ts';
import { changeRecipients, diffMetadata, isEmptyDiff } from '../../../src/domain/exchange-update.ts';
import type { OrganId } from '../../../src/domain/organ-id.ts';
import type { DocumentHeader } from '../../../src/edxml/model.ts';
import { packageFromOutgoing } from '../../../src/edxml/registry-mapping.ts';
import { updateFromPackage } from '../../../src/services/exchange-request-effects.ts';

const TN = { organId: '000.00.00.H53', organName: 'UBND tỉnh Tây Ninh' };
const SO = { organId: '000.00.13.H53', organName: 'Sở TTTT Tây Ninh' };
const HUYEN = { organId: '000.00.32.H53', organName: 'UBND huyện Châu Thành' };

const metadata: DocumentMetadata = {
  fileCode: null, docOrdinal: null, typeName: 'Công văn', codeNumber: '12', codeNotation: 'VPCP-KSTT', issuedDate: '2026-11-20',
  organName: 'Văn phòng Chính phủ', subject: 'Về lịch họp', language: 'Tiếng Việt', pageAmount: 2, description: null,
  signerInfo: { position: 'Bộ trưởng', fullName: 'Nguyễn Văn A', competence: null }, to: [TN, SO], priority: 0, issuedAmount: null, dueDate: null,
};

const thrownBy = (f: () => unknown): unknown => { try { f(); } catch (e) { return e; } return undefined; };

describe('update of a sent document', () => {
  it('keeps exactly the previous values of the fields that change', () => {
    const diff = diffMetadata(metadata, { subject: 'Về lịch họp (đổi ngày)', priority: 1, pageAmount: 2, dueDate: '2026-12-15' });
    expect(diff.before).to.deep.equal({ subject: 'Về lịch họp', priority: 0, dueDate: null });
    expect(diff.after).to.deep.equal({ subject: 'Về lịch họp (đổi ngày)', priority: 1, dueDate: '2026-12-15' });
  });

  it('an update that changes nothing is empty; identifying items are never part of it', () => {
    expect(isEmptyDiff(diffMetadata(metadata, { subject: 'Về lịch họp', to: [TN, SO] }))).to.equal(true);
    const sneaky = { codeNumber: '13', issuedDate: '2026-11-21' } as unknown as Parameters<typeof diffMetadata>[1];
    expect(isEmptyDiff(diffMetadata(metadata, sneaky))).to.equal(true);
  });

  it('compares nested values (signer, recipients) by value', () => {
    const diff = diffMetadata(metadata, { signerInfo: { position: 'Thứ trưởng', fullName: 'Nguyễn Văn A', competence: 'KT.' } });
    expect(diff.before).to.deep.equal({ signerInfo: metadata.signerInfo });
    expect(isEmptyDiff(diffMetadata(metadata, { signerInfo: { ...metadata.signerInfo } as DocumentMetadata['signerInfo'] }))).to.equal(true);
    // jsonb gives keys back in its own order (shorter first): the same value in another key order is no change.
    expect(isEmptyDiff(diffMetadata(metadata, { signerInfo: { competence: null, fullName: 'Nguyễn Văn A', position: 'Bộ trưởng' } }))).to.equal(true);
    expect(isEmptyDiff(diffMetadata(metadata, { to: [{ organName: TN.organName, organId: TN.organId }, SO] }))).to.equal(true);
  });

  it('adds and removes recipients, refusing impossible lists', () => {
    expect(changeRecipients([TN, SO], [HUYEN], [SO.organId])).to.deep.equal([TN, HUYEN]);
    for (const [add, remove, field] of [
      [[], [HUYEN.organId], 'removeRecipients'], // not a recipient
      [[SO], [], 'addRecipients'], // already one
      [[HUYEN, HUYEN], [], 'addRecipients'], // twice
      [[], [TN.organId, SO.organId], 'removeRecipients'], // nobody left: that is a recall
    ] as const) {
      const error = thrownBy(() => changeRecipients([TN, SO], add, remove));
      expect(isDomainError(error, 'request.invalid'), JSON.stringify({ add, remove })).to.equal(true);
      expect((error as { details: { field: string }[] }).details[0]?.field).to.equal(field);
    }
  });

  it('maps business types to the request kinds answered 15/16', () => {
    expect([0, 1, 2, 3].map(requestKindOf)).to.deep.equal([null, 'recall', 'update', 'replace']);
  });
});

describe('what an update package changes at the receiver', () => {
  const header = (changed: DocumentMetadata, to: readonly { organId: string; organName: string }[]): DocumentHeader => packageFromOutgoing({
    metadata: changed, sender: { organId: '000.00.00.G22' as OrganId, organName: 'Văn phòng Chính phủ' },
    recipients: to.map((r) => ({ organId: r.organId as OrganId, organName: r.organName })), attachments: [], sentAt: new Date('2026-11-23T03:00:00Z'),
  }).header;

  it('metadata (DocumentInfo 1): the package\'s items; recipients (DocumentReceiver 1): To minus the removed ones', () => {
    const changed = { ...metadata, subject: 'Về lịch họp (đổi ngày)', to: [TN, HUYEN] };
    const business = { businessDocType: 2 as const, replacementInfoList: [], businessDocumentInfo: { documentInfo: true, documentReceiver: true, receivers: [{ organId: HUYEN.organId as OrganId, receiverType: 1 as const }, { organId: SO.organId as OrganId, receiverType: 0 as const }] } };
    const atTn = updateFromPackage(header(changed, [TN, HUYEN, SO]), business, TN.organId);
    expect(atTn.removed).to.equal(false);
    expect(atTn.changes.subject).to.equal('Về lịch họp (đổi ngày)');
    expect(atTn.changes.to?.map((r) => r.organId)).to.deep.equal([TN.organId, HUYEN.organId]);
    expect(atTn.changes.toPlaces).to.deep.equal([TN.organName, HUYEN.organName]);
    expect(updateFromPackage(header(changed, [TN, HUYEN, SO]), business, SO.organId).removed).to.equal(true);
  });

  it('only what the flags say changed: DocumentInfo 0 leaves the metadata items alone', () => {
    const business = { businessDocType: 2 as const, replacementInfoList: [], businessDocumentInfo: { documentInfo: false, documentReceiver: true, receivers: [] } };
    const { changes } = updateFromPackage(header({ ...metadata, subject: 'khác' }, [TN, SO]), business, TN.organId);
    expect(Object.keys(changes).sort()).to.deep.equal(['to', 'toPlaces']);
  });
});
