import type { CertificateSummary } from '../../domain/validation-report.ts';
import type { ParsedCertificate } from './parsed-certificate.ts';

export function summarise(cert: ParsedCertificate): CertificateSummary {
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialHex,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    sha256: cert.sha256,
    ...(cert.organId !== undefined ? { organId: cert.organId } : {}),
  };
}

/** For a result about a certificate that could not be parsed. */
export const unknownCertificate: CertificateSummary = { subject: '', issuer: '', serialNumber: '', notBefore: '', notAfter: '', sha256: '' };
