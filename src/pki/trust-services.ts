// The contract between the trust layer (certificates, path validation, revocation, time-stamps:
// src/pki/{certificates,path,revocation,timestamp}) and the signature formats that use it
// (src/pki/{cms,xmldsig,pades,verify}). Certificates travel as DER bytes.
import type { CertificateSummary, Indication, RevocationEvidence, SubIndication, TimestampEvidence } from '../domain/validation-report.ts';

/** What a certificate must be fit for (key usage / extended key usage, RFC 5280 §4.2.1.3, §4.2.1.12). */
export type CertificatePurpose =
  | 'personal-signing' // a leader: digitalSignature + nonRepudiation
  | 'organisation-signing' // an agency: digitalSignature (+ nonRepudiation)
  | 'timestamping' // a TSA: critical EKU id-kp-timeStamping
  | 'ocsp-signing'; // an OCSP responder: EKU id-kp-OCSPSigning

export interface PathValidationInput {
  readonly signer: Uint8Array;
  /** Certificates found in the signature (CMS certificates, KeyInfo X509Data, DSS): path building candidates. */
  readonly candidates: readonly Uint8Array[];
  /** The time at which the certificate must have been valid and unrevoked (time-stamp time when present). */
  readonly at: Date;
  readonly purpose: CertificatePurpose;
  /** Revocation answers stored with a document earlier (long-term validation); used before fetching. */
  readonly storedRevocation?: readonly RevocationEvidence[];
  /** Extra CRLs given by the caller (e.g. `edoc-node verify --crl`). DER. */
  readonly extraCrls?: readonly Uint8Array[];
  /**
   * Whether `at` is a proof of existence (a time-stamp's genTime). Default true. When false (`at` is the
   * validation time) and the signer is revoked, ETSI EN 319 102-1 §5.3.4 gives INDETERMINATE/REVOKED_NO_POE
   * if the claimed signing time is before the revocation, TOTAL_FAILED/REVOKED otherwise.
   */
  readonly atIsProofOfExistence?: boolean;
  /** The claimed signing time (CMS signingTime, edXML header), used only as described above. */
  readonly claimedSigningTime?: Date;
}

export interface PathValidationResult {
  readonly indication: Indication;
  readonly subIndication?: SubIndication;
  readonly message: string;
  readonly signer: CertificateSummary;
  /** signer first, trust anchor last (DER). Empty when no chain was found. */
  readonly chain: readonly Uint8Array[];
  readonly revocation: readonly RevocationEvidence[];
  readonly warnings: readonly string[];
}

export interface CertificatePathValidator {
  validate(input: PathValidationInput): Promise<PathValidationResult>;
}

/** RFC 3161 client: returns a TimeStampToken (DER ContentInfo) over a SHA-256 message imprint. */
export interface TimeStampAuthorityClient {
  stamp(sha256Imprint: Uint8Array): Promise<Uint8Array>;
}

export interface TimeStampVerification {
  readonly indication: Indication;
  readonly subIndication?: SubIndication;
  readonly message: string;
  readonly genTime?: Date;
  readonly evidence?: TimestampEvidence;
  readonly tsaPath?: PathValidationResult;
}

/** Verifies a TimeStampToken: its CMS signature, that it covers `expectedImprint`, and the TSA's path. */
export interface TimeStampTokenVerifier {
  verify(token: Uint8Array, expectedSha256Imprint: Uint8Array, options?: { storedRevocation?: readonly RevocationEvidence[] }): Promise<TimeStampVerification>;
}
