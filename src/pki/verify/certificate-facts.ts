// What the report needs to say about a certificate before (or without) path validation, read with
// node:crypto's X509Certificate. The organ id is the subject UID attribute (docs/pki.md).
import { createHash, X509Certificate } from 'node:crypto';
import type { CertificateSummary } from '../../domain/validation-report.ts';
import type { CertificatePurpose } from '../trust-services.ts';

const oneLine = (dn: string): string => dn.split('\n').reverse().join(', ');
/** ISO time of an X509Certificate date string; '' when the certificate's time does not parse. */
const iso = (text: string): string => { const d = new Date(text); return Number.isNaN(d.getTime()) ? '' : d.toISOString(); };

export function organIdOfSubject(subject: string): string | undefined {
  return /^UID=(.+)$/m.exec(subject)?.[1]?.trim();
}

export function summariseCertificate(der: Uint8Array): CertificateSummary {
  const x = new X509Certificate(der);
  const organId = organIdOfSubject(x.subject);
  return {
    subject: oneLine(x.subject), issuer: oneLine(x.issuer), serialNumber: x.serialNumber.toLowerCase(),
    notBefore: iso(x.validFrom), notAfter: iso(x.validTo),
    sha256: createHash('sha256').update(der).digest('hex'),
    ...(organId ? { organId } : {}),
  };
}

/**
 * An organisational certificate names its agency (organ id in UID); a personal one names a person.
 * Decides which key-usage rule the path validator applies (RFC 5280 §4.2.1.3; DOMAIN.md §7).
 */
export function purposeOf(der: Uint8Array): CertificatePurpose {
  return organIdOfSubject(new X509Certificate(der).subject) ? 'organisation-signing' : 'personal-signing';
}
