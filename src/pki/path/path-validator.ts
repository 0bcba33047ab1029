import { DomainError } from '../../domain/errors.ts';
import type { Indication, RevocationEvidence, SubIndication } from '../../domain/validation-report.ts';
import type { CertificateCache } from '../certificates/certificate-cache.ts';
import { summarise, unknownCertificate } from '../certificates/certificate-summary.ts';
import type { ParsedCertificate } from '../certificates/parsed-certificate.ts';
import type { CertificatePathValidator, PathValidationInput, PathValidationResult } from '../trust-services.ts';
import type { RevocationChecker } from '../revocation/revocation-checker.ts';
import { toEvidence } from '../revocation/revocation-answer.ts';
import type { TrustList } from '../trust/trust-list.ts';
import { unfitForPurpose } from './certificate-purpose.ts';
import { PathBuilder } from './path-builder.ts';

// X.509 path validation (RFC 5280 §6.1) at a given time, with revocation (§6.3, RFC 6960), reported with
// ETSI EN 319 102-1 indications (§5.2.6 X.509 certificate validation):
//   no path to an anchor                          → INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND
//   constraints (basic constraints, key usage,
//   path length, unknown critical extension)      → INDETERMINATE / CHAIN_CONSTRAINTS_FAILURE
//   signer not yet valid at `at`                  → TOTAL_FAILED / NOT_YET_VALID
//   signer expired at `at`                        → INDETERMINATE / EXPIRED
//   a CA certificate outside its validity         → INDETERMINATE / OUT_OF_BOUNDS_NO_POE
//   signer revoked at or before `at`              → TOTAL_FAILED / REVOKED, or INDETERMINATE / REVOKED_NO_POE
//     when `at` is no proof of existence and the claimed signing time precedes the revocation (§5.3.4)
//   a CA certificate revoked at or before `at`    → INDETERMINATE / REVOKED_CA_NO_POE
//   revocation status not obtainable (fresh)      → INDETERMINATE / TRY_LATER (never passed)
// `at` must be a proven time (a time-stamp's genTime) or the validation time, never a claimed signingTime.

export interface PathValidatorSettings {
  /** What to answer when revocation cannot be checked: INDETERMINATE (default) or TOTAL_FAILED; both with TRY_LATER. */
  readonly whenRevocationUnavailable: 'indeterminate' | 'failed';
}

export class X509PathValidator implements CertificatePathValidator {
  private readonly builder = new PathBuilder();

  constructor(
    private readonly trust: TrustList,
    private readonly cache: CertificateCache,
    private readonly revocation: RevocationChecker,
    private readonly settings: PathValidatorSettings = { whenRevocationUnavailable: 'indeterminate' },
  ) {}

  async validate(input: PathValidationInput): Promise<PathValidationResult> {
    if (!(input.at instanceof Date) || Number.isNaN(input.at.getTime())) {
      throw new DomainError('request.invalid', { details: [{ field: 'at', message: 'the validation time is not a valid date' }] });
    }
    let signer: ParsedCertificate;
    try {
      signer = this.cache.get(input.signer);
    } catch (error) {
      return { indication: 'INDETERMINATE', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND', message: `the signer certificate cannot be parsed: ${(error as Error).message}`, signer: unknownCertificate, chain: [], revocation: [], warnings: [] };
    }
    const warnings: string[] = [];
    const candidates: ParsedCertificate[] = [];
    for (const der of input.candidates) {
      try { candidates.push(this.cache.get(der)); } catch { warnings.push('an unparsable certificate among the candidates was ignored'); }
    }
    const summary = summarise(signer);
    const result = (indication: Indication, subIndication: SubIndication | undefined, message: string, chain: readonly ParsedCertificate[] = [], revocation: readonly RevocationEvidence[] = []): PathValidationResult => ({
      indication, ...(subIndication ? { subIndication } : {}), message, signer: summary, chain: chain.map((c) => c.der), revocation, warnings,
    });

    const path = this.builder.build(signer, candidates, this.trust);
    if (!path) return result('INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND', `no path from "${signer.subject}" to a trust anchor`);

    // Constraints (RFC 5280 §6.1.3, §6.1.4), anchor last: path[i + 1] issued path[i].
    for (const cert of path) {
      if (cert.unknownCriticalExtensions.length > 0) return result('INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE', `"${cert.subject}" has unsupported critical extension(s) ${cert.unknownCriticalExtensions.join(', ')}`, path);
    }
    for (let i = 1; i < path.length; i += 1) {
      const ca = path[i] as ParsedCertificate;
      const isAnchor = i === path.length - 1;
      if (!ca.basicConstraints?.ca && !(isAnchor && ca.x509.ca)) return result('INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE', `"${ca.subject}" is not a CA (basicConstraints)`, path);
      if (ca.keyUsage && !ca.keyUsage.has('keyCertSign')) return result('INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE', `"${ca.subject}" may not sign certificates (keyUsage)`, path);
      const below = path.slice(1, i).filter((c) => !c.isSelfIssued).length; // non-self-issued intermediates under this CA
      if (ca.basicConstraints?.pathLength !== undefined && below > ca.basicConstraints.pathLength) return result('INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE', `path length constraint of "${ca.subject}" exceeded`, path);
    }
    const unfit = unfitForPurpose(signer, input.purpose);
    if (unfit) return result('INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE', `"${signer.subject}": ${unfit}`, path);

    // Validity at `at` (RFC 5280 §6.1.3 (a)(2)).
    const at = input.at;
    if (at < signer.notBefore) return result('TOTAL_FAILED', 'NOT_YET_VALID', `the certificate is valid only from ${signer.notBefore.toISOString()} (checked at ${at.toISOString()})`, path);
    if (at > signer.notAfter) return result('INDETERMINATE', 'EXPIRED', `the certificate expired at ${signer.notAfter.toISOString()} (checked at ${at.toISOString()})`, path);
    for (const ca of path.slice(1)) {
      if (at < ca.notBefore || at > ca.notAfter) return result('INDETERMINATE', 'OUT_OF_BOUNDS_NO_POE', `CA certificate "${ca.subject}" is outside its validity at ${at.toISOString()}`, path);
    }

    // Revocation of every certificate but the anchor (and an OCSP responder marked id-pkix-ocsp-nocheck).
    const evidence: RevocationEvidence[] = [];
    for (let i = 0; i < path.length - 1; i += 1) {
      const cert = path[i] as ParsedCertificate;
      const issuer = path[i + 1] as ParsedCertificate;
      if (cert.ocspNoCheck && input.purpose === 'ocsp-signing') continue;
      const outcome = await this.revocation.check({ cert, issuer, at, ...(input.storedRevocation ? { stored: input.storedRevocation } : {}), ...(input.extraCrls ? { extraCrls: input.extraCrls } : {}) });
      if (outcome.status === 'unavailable') {
        warnings.push(...outcome.notes);
        const indication = this.settings.whenRevocationUnavailable === 'failed' ? 'TOTAL_FAILED' : 'INDETERMINATE';
        return result(indication, 'TRY_LATER', `the revocation status of "${cert.subject}" at ${at.toISOString()} cannot be obtained within the freshness limit`, path, evidence);
      }
      evidence.push(toEvidence(outcome.answer, cert.sha256));
      const revokedAt = outcome.answer.revokedAt;
      if (outcome.status === 'revoked' && revokedAt && revokedAt <= at) {
        if (i === 0) {
          const claimed = input.claimedSigningTime;
          if (input.atIsProofOfExistence === false && claimed && claimed < revokedAt) {
            return result('INDETERMINATE', 'REVOKED_NO_POE', `the certificate was revoked at ${revokedAt.toISOString()}; the claimed signing time ${claimed.toISOString()} is earlier but not proven (no time-stamp)`, path, evidence);
          }
          return result('TOTAL_FAILED', 'REVOKED', `the certificate was revoked at ${revokedAt.toISOString()}, before ${at.toISOString()}`, path, evidence);
        }
        return result('INDETERMINATE', 'REVOKED_CA_NO_POE', `CA certificate "${cert.subject}" was revoked at ${revokedAt.toISOString()}`, path, evidence);
      }
      if (outcome.status === 'revoked' && revokedAt) warnings.push(`"${cert.subject}" was revoked later, at ${revokedAt.toISOString()}`);
    }
    return result('TOTAL_PASSED', undefined, `valid path to "${(path[path.length - 1] as ParsedCertificate).subject}" at ${at.toISOString()}`, path, evidence);
  }
}
