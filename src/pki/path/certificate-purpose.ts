import type { CertificatePurpose } from '../trust-services.ts';
import { oid } from '../certificates/oids.ts';
import type { ParsedCertificate } from '../certificates/parsed-certificate.ts';

// Key usage / extended key usage required of the end certificate per purpose (RFC 5280 §4.2.1.3,
// §4.2.1.12; RFC 3161 §2.3; RFC 6960 §4.2.2.2). Returns the reason it is unfit, or undefined.

const dedicated = new Set<string>([oid.kpTimeStamping, oid.kpOcspSigning]);

export function unfitForPurpose(cert: ParsedCertificate, purpose: CertificatePurpose): string | undefined {
  const ku = cert.keyUsage;
  const eku = cert.extendedKeyUsage;
  if (cert.basicConstraints?.ca) return 'a CA certificate cannot be used as an end-entity signer';
  switch (purpose) {
    case 'personal-signing':
      if (!ku || !ku.has('digitalSignature') || !ku.has('nonRepudiation')) return 'personal signing needs keyUsage digitalSignature and nonRepudiation';
      break;
    case 'organisation-signing':
      if (!ku || !(ku.has('digitalSignature') || ku.has('nonRepudiation'))) return 'organisation signing needs keyUsage digitalSignature (or nonRepudiation)';
      break;
    case 'timestamping':
      // RFC 3161 §2.3: the TSA's certificate MUST contain only id-kp-timeStamping, marked critical.
      if (!eku || eku.length !== 1 || eku[0] !== oid.kpTimeStamping || !cert.extendedKeyUsageCritical) return 'a TSA certificate needs a critical extendedKeyUsage with only id-kp-timeStamping';
      if (ku && !(ku.has('digitalSignature') || ku.has('nonRepudiation'))) return 'a TSA certificate needs keyUsage digitalSignature or nonRepudiation';
      return undefined;
    case 'ocsp-signing':
      if (!eku?.includes(oid.kpOcspSigning)) return 'an OCSP responder certificate needs extendedKeyUsage id-kp-OCSPSigning';
      if (ku && !ku.has('digitalSignature')) return 'an OCSP responder certificate needs keyUsage digitalSignature';
      return undefined;
  }
  // Signing purposes: a certificate dedicated to time-stamping or OCSP may not sign documents.
  if (eku && eku.length > 0 && eku.every((p) => dedicated.has(p))) return 'the certificate is dedicated to time-stamping or OCSP';
  return undefined;
}
