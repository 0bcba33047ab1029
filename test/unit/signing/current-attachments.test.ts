// Which attachments a signed document consists of now (src/domain/signing-keys.ts currentAttachments).
import { expect } from 'chai';
import { currentAttachments, type StoredSignatureReport } from '../../../src/domain/signing-keys.ts';

const report = (form: 'PAdES' | 'CMS', sourceAttachmentId: string, attachmentId: string, signatureSha256: string | null = null) =>
  ({ form, sourceAttachmentId, attachmentId, signatureSha256 }) as unknown as StoredSignatureReport;

describe('current attachments of a signed document', () => {
  const attachments = [
    { id: 'draft', role: 'main' }, { id: 'annex', role: 'attachment' }, { id: 'leader', role: 'main' }, { id: 'agency', role: 'main' },
  ];

  it('each signed PDF replaces the version it was made from; the annex keeps its detached CMS', () => {
    const reports = [report('PAdES', 'draft', 'leader'), report('PAdES', 'leader', 'agency'), report('CMS', 'annex', 'annex', 'ff'.repeat(32))];
    expect(currentAttachments(attachments, reports)).to.deep.equal([
      { id: 'annex', role: 'attachment', detachedSignatureSha256: 'ff'.repeat(32) },
      { id: 'agency', role: 'main', detachedSignatureSha256: null },
    ]);
  });

  it('without signatures every attachment is current', () => {
    expect(currentAttachments(attachments.slice(0, 2), []).map((a) => a.id)).to.deep.equal(['draft', 'annex']);
  });
});
