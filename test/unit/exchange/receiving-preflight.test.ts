// The checks of a received package run ahead of its transaction (`preflight`): `handle` takes their result
// instead of parsing and verifying again, unless the directory changed in between or the preflight failed.
import { expect } from 'chai';
import { bytesPayload, type AxisDelivery } from '../../../src/domain/axis-transport.ts';
import type { ExchangeRepositories, PackageVerifier } from '../../../src/domain/exchange.ts';
import type { BlobStore } from '../../../src/domain/registry-ports.ts';
import type { SignatureValidationReport } from '../../../src/domain/validation-report.ts';
import type { DateOnly } from '../../../src/edxml/edxml-dates.ts';
import type { OrganId } from '../../../src/domain/organ-id.ts';
import { createHash } from 'node:crypto';
import { buildDocumentPackage, buildStatusMessage } from '../../../src/edxml/package-builder.ts';
import { organ, samplePackage } from '../edxml/sample-package.ts';
import { DirectoryHolder } from '../../../src/services/directory-service.ts';
import { ExchangeReceivingService } from '../../../src/services/exchange-receiving.ts';
import type { StatusEmitter } from '../../../src/services/exchange-status.ts';
import { derOf, devDirectory } from '../../integration/exchange/support/exchange-network.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const NOW = new Date('2026-11-23T03:00:00Z');
const DAY = 24 * 3600_000;
const SENDER = '000.00.00.G22';
const RECIPIENT = '000.00.00.H53';

const status = (documentId: string): Uint8Array => buildStatusMessage({
  from: { organId: RECIPIENT as OrganId }, responseFor: { organId: SENDER as OrganId, documentId, promulgationDate: '2026-11-20' as DateOnly },
  statusCode: '01', timestamp: NOW, traceHeaders: [],
});

function setUp(verdict: () => Promise<SignatureValidationReport>, blobs?: BlobStore) {
  const directory = new DirectoryHolder({ signerCertificate: derOf(`${ROOT}certs-dev/directory/directory.crt.pem`), issuers: [derOf(`${ROOT}certs-dev/ca/issuing-ca.crt.pem`)] }, 3 * DAY);
  const install = (version: number) => directory.install(devDirectory({ version, validFrom: new Date(NOW.getTime() - DAY), validUntil: new Date(NOW.getTime() + 30 * DAY) }), NOW);
  install(1);
  const checked: string[] = [];
  const verifier = { verifyEnvelope: async (bytes: Uint8Array) => { checked.push(Buffer.from(bytes).toString('utf8').match(/<edXML:DocumentId>([^<]+)</)?.[1] ?? '?'); return verdict(); } } as unknown as PackageVerifier;
  const noBlobs = { put: async () => { throw new Error('an applied status writes no blob'); } } as unknown as BlobStore;
  const clock = { at: NOW, now() { return this.at; } };
  const service = new ExchangeReceivingService(directory, verifier, {} as StatusEmitter, blobs ?? noBlobs, clock, { attachmentMaxBytes: 1024 });
  const looked: string[] = [];
  const expected: string[] = [];
  const repos = { exchange: {
    findDeliveryForUpdate: async (_me: string, documentId: string) => { looked.push(documentId); return null; },
    expectDeliveries: (me: string, keys: ReadonlyArray<{ edxmlDocumentId: string; recipientOrganId: string }>) => { expected.push(...keys.map((k) => `${me} ${k.edxmlDocumentId} ${k.recipientOrganId}`)); },
    expectReceived: (me: string, keys: ReadonlyArray<{ senderOrganId: string; edxmlDocumentId: string }>) => { expected.push(...keys.map((k) => `receipt ${me} ${k.senderOrganId} ${k.edxmlDocumentId}`)); },
  } } as unknown as ExchangeRepositories;
  const delivery = (documentId: string): AxisDelivery => ({
    headers: { from: RECIPIENT, to: SENDER, messageType: 'status', serviceType: 'eDoc', messageId: `m-${documentId}`, packageDigest: '' },
    payload: bytesPayload(status(documentId)), redelivered: false, deliveryCount: 0,
  });
  return { service, repos, delivery, checked, looked, expected, install, clock };
}

const passed = async () => ({ indication: 'TOTAL_PASSED' }) as SignatureValidationReport;

describe('ExchangeReceivingService preflight', () => {
  it('checks a package once: handle takes the preflight\'s result', async () => {
    const { service, repos, delivery, checked, looked } = setUp(passed);
    const d = delivery('doc-1');
    service.preflight(d);
    expect(checked).to.deep.equal([]); // started, not awaited: the parse comes first
    const outcome = await service.handle(repos, d);
    expect(outcome).to.deep.include({ statusCode: '01' });
    expect(checked).to.deep.equal(['doc-1']);
    expect(looked).to.deep.equal(['doc-1']);
    const other = delivery('doc-2'); // not preflown: handle checks it itself
    await service.handle(repos, other);
    expect(checked).to.deep.equal(['doc-1', 'doc-2']);
  });

  it('checks again when a newer directory was installed after the preflight', async () => {
    const { service, repos, delivery, checked, install } = setUp(passed);
    const d = delivery('doc-1');
    service.preflight(d);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(checked).to.deep.equal(['doc-1']);
    expect(install(2).installed).to.equal(true);
    await service.handle(repos, d);
    expect(checked).to.deep.equal(['doc-1', 'doc-1']);
  });

  it('checks again (writing its blobs again) when the preflight is over 5 minutes old: the blob sweep removes unnamed blobs after an hour', async () => {
    const { service, repos, delivery, checked, clock } = setUp(passed);
    const d = delivery('doc-1');
    service.preflight(d);
    clock.at = new Date(NOW.getTime() + 4 * 60_000);
    await service.handle(repos, d);
    expect(checked).to.deep.equal(['doc-1']);
    clock.at = new Date(NOW.getTime() + 6 * 60_000); // the same delivery again, e.g. its transaction failed and was retried
    await service.handle(repos, d);
    expect(checked).to.deep.equal(['doc-1', 'doc-1']);
  });

  it('checks again when the preflight failed (an outage is retried, never taken for a verdict)', async () => {
    let calls = 0;
    const { service, repos, delivery, checked } = setUp(async () => { calls += 1; if (calls === 1) throw new Error('trust store unreachable'); return passed(); });
    const d = delivery('doc-1');
    service.preflight(d);
    const outcome = await service.handle(repos, d);
    expect(outcome).to.deep.include({ statusCode: '01' });
    expect(checked).to.deep.equal(['doc-1', 'doc-1']);
  });

  it('announces the deliveries a batch\'s statuses apply to, from the preflight (statuses not preflown are left to their own read)', async () => {
    const { service, repos, delivery, expected } = setUp(passed);
    const preflown = [delivery('doc-1'), delivery('doc-2')];
    for (const d of preflown) service.preflight(d);
    await service.beforeBatch(repos, [...preflown, delivery('doc-3')]);
    expect(expected).to.deep.equal([`${SENDER} doc-1 ${RECIPIENT}`, `${SENDER} doc-2 ${RECIPIENT}`]);
  });

  it('announces the receipts a batch\'s new documents are checked against (duplicates), from the preflight done; not an update\'s, not one still being checked', async () => {
    const stored = new Map<string, Buffer>();
    const blobs = { put: async (source: AsyncIterable<Uint8Array>) => {
      const parts: Uint8Array[] = [];
      for await (const part of source) parts.push(part);
      const bytes = Buffer.concat(parts);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      stored.set(sha256, bytes);
      return { sha256, size: bytes.length };
    } } as unknown as BlobStore;
    const { service, repos, delivery, expected } = setUp(passed, blobs);
    const document = (documentId: string, businessDocType: 0 | 2): AxisDelivery => ({
      headers: { from: RECIPIENT, to: SENDER, messageType: 'edoc', serviceType: 'eDoc', messageId: `m-${documentId}`, packageDigest: '' },
      payload: bytesPayload(buildDocumentPackage(samplePackage({
        header: { ...samplePackage().header, from: organ(RECIPIENT, 'UBND tỉnh Tây Ninh'), to: [organ(SENDER, 'Văn phòng Chính phủ')], documentId },
        business: { businessDocType, businessDocReason: 'Văn bản', paper: false, replacementInfoList: [] },
        attachments: [{ contentId: 'a1', name: 'phu-luc.txt', contentType: 'text/plain', content: Buffer.from('Phụ lục') }],
      }))),
      redelivered: false, deliveryCount: 0,
    });
    const batch = [document('doc-1', 0), document('doc-2', 2), delivery('doc-3'), document('doc-4', 0), document('doc-5', 0)];
    for (const d of batch.slice(0, 3)) service.preflight(d);
    await new Promise((resolve) => setTimeout(resolve, 100)); // their checks done
    service.preflight(batch[4] as AxisDelivery); // still being checked when the batch starts: not waited for
    await service.beforeBatch(repos, batch);
    expect(expected).to.deep.equal([`${SENDER} doc-3 ${RECIPIENT}`, `receipt ${SENDER} ${RECIPIENT} doc-1`]);
  });
});
