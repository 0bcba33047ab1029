// Output shapes of keys and signature reports (STYLE.md habit 6): never the sealed private key.
import type { StoredSignatureReport } from '../../domain/signing-keys.ts';
import type { SigningKeySummary } from '../../services/key-custody-service.ts';

const pem = (der: Buffer): string => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;

export const presentKey = (k: SigningKeySummary) => ({
  id: k.id, kind: k.kind, ownerUserId: k.ownerUserId, status: k.status,
  certificate: { subject: k.subject, serialNumber: k.serialNumber, notBefore: k.notBefore.toISOString(), notAfter: k.notAfter.toISOString(), sha256: k.certificateSha256, pem: pem(k.certificate) },
  failedPinAttempts: k.failedPinAttempts, locked: k.lockedAt !== null, lockedAt: k.lockedAt?.toISOString() ?? null,
  createdAt: k.createdAt.toISOString(), retiredAt: k.retiredAt?.toISOString() ?? null,
});

export const presentSignatureReport = (r: StoredSignatureReport, basePath: string) => ({
  id: r.id, form: r.form, kind: r.kind, attachmentId: r.attachmentId, sourceAttachmentId: r.sourceAttachmentId, keyId: r.keyId, signedBy: r.signedBy,
  indication: r.report.indication, subIndication: r.report.subIndication ?? null, signer: r.report.signer ?? null,
  bestSignatureTime: r.report.bestSignatureTime ?? null, createdAt: r.createdAt,
  detachedSignatureUrl: r.signatureSha256 ? `${basePath}/signatures/${r.id}/cms` : null,
  report: r.report,
});
