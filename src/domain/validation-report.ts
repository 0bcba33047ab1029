// Validation report in the shape of ETSI EN 319 102-1 (§5.1.3 indications, §5.1.4 sub-indications).
// Produced by src/pki for every form (edXML envelope, CMS, PAdES); stored with the document so that the
// verdict can be re-checked later from the evidence alone.

export type Indication = 'TOTAL_PASSED' | 'TOTAL_FAILED' | 'INDETERMINATE';

export type SubIndication =
  // TOTAL_FAILED
  | 'FORMAT_FAILURE'
  | 'HASH_FAILURE'
  | 'SIG_CRYPTO_FAILURE'
  | 'REVOKED'
  | 'NOT_YET_VALID'
  | 'SIG_CONSTRAINTS_FAILURE'
  // INDETERMINATE
  | 'SIGNED_DATA_NOT_FOUND'
  | 'NO_SIGNING_CERTIFICATE_FOUND'
  | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'CHAIN_CONSTRAINTS_FAILURE'
  | 'CERTIFICATE_CHAIN_GENERAL_FAILURE'
  | 'REVOKED_NO_POE'
  | 'REVOKED_CA_NO_POE'
  | 'OUT_OF_BOUNDS_NO_POE'
  | 'OUT_OF_BOUNDS_NOT_REVOKED'
  | 'EXPIRED'
  | 'TRY_LATER'
  | 'TIMESTAMP_ORDER_FAILURE'
  | 'GENERIC';

export type SignatureForm = 'XML-DSig' | 'CMS' | 'PAdES' | 'TimeStampToken';

export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string; // hex
  readonly notBefore: string; // ISO 8601
  readonly notAfter: string;
  readonly sha256: string; // hex fingerprint of the DER
  readonly organId?: string; // for organisational certificates (see docs/pki-trust.md for the attribute)
}

export interface RevocationEvidence {
  readonly kind: 'OCSP' | 'CRL';
  readonly certificateSha256: string; // the certificate this answer is about
  readonly producedAt: string; // ISO 8601 (OCSP producedAt / CRL thisUpdate)
  readonly nextUpdate?: string;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revokedAt?: string;
  readonly der: string; // base64 of the OCSP response or CRL, so the verdict can be re-checked
}

export interface TimestampEvidence {
  readonly genTime: string; // ISO 8601
  readonly tsa: CertificateSummary;
  readonly der: string; // base64 TimeStampToken
}

export interface SignatureValidationReport {
  readonly form: SignatureForm;
  readonly indication: Indication;
  readonly subIndication?: SubIndication;
  readonly message: string; // English, for operators
  readonly messageVi: string; // Vietnamese summary for the UI
  readonly signer?: CertificateSummary;
  readonly signingTime?: string; // claimed (signed attribute), ISO 8601
  readonly bestSignatureTime?: string; // time-stamp time when present, else validation time
  readonly validationTime: string;
  readonly organisationCheck?: { readonly status: 'matched' | 'mismatched' | 'not_checked'; readonly expectedOrganId?: string; readonly certificateOrganId?: string };
  readonly evidence: {
    readonly certificates: readonly string[]; // base64 DER of every certificate used in the chain
    readonly revocation: readonly RevocationEvidence[];
    readonly timestamps: readonly TimestampEvidence[];
  };
  readonly warnings: readonly string[];
}
