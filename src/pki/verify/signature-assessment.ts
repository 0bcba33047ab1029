// Turns the facts established about one signature (format, cryptography, time-stamp, certificate path,
// organisation) into an ETSI EN 319 102-1 validation report. Order of the checks follows §5.3 (basic
// signature validation): format → identification of the signing certificate → cryptographic
// verification → X.509 validation at the best signature time (§5.5: the signature time-stamp's time when
// present) → signature acceptance (here: the signer's organisation is the sending agency).
import { createHash } from 'node:crypto';
import type { CertificateSummary, Indication, RevocationEvidence, SignatureForm, SignatureValidationReport, SubIndication, TimestampEvidence } from '../../domain/validation-report.ts';
import type { CertificatePathValidator, CertificatePurpose, TimeStampTokenVerifier } from '../trust-services.ts';
import type { OrganisationDirectory } from './organisation-directory.ts';
import { summariseCertificate } from './certificate-facts.ts';
import { describeVi } from './report-messages.ts';

export interface VerificationContext {
  readonly pathValidator: CertificatePathValidator;
  readonly timeStampVerifier: TimeStampTokenVerifier;
  readonly directory?: OrganisationDirectory;
  /** Validation time (`--at`); now by default. */
  readonly validationTime?: Date;
  /** Revocation answers stored with the document earlier (long-term validation). */
  readonly storedRevocation?: readonly RevocationEvidence[];
  readonly extraCrls?: readonly Uint8Array[];
}

export type SignatureFacts =
  | { readonly form: SignatureForm; readonly stage: 'format'; readonly message: string }
  | { readonly form: SignatureForm; readonly stage: 'no-certificate'; readonly message: string }
  | {
    readonly form: SignatureForm;
    readonly stage: 'crypto';
    readonly signer: Uint8Array;
    readonly candidates: readonly Uint8Array[];
    readonly purpose: CertificatePurpose;
    readonly failure?: { readonly subIndication: SubIndication; readonly message: string };
    readonly signingTime?: Date;
    readonly signatureValue?: Uint8Array;
    readonly timeStampToken?: Uint8Array;
    /** For the envelope: the package's From/OrganId (a signed node). */
    readonly expectedOrganId?: string;
    readonly warnings?: readonly string[];
  };

interface Verdict { readonly indication: Indication; readonly subIndication?: SubIndication; readonly message: string }

const b64 = (der: Uint8Array): string => Buffer.from(der).toString('base64');

function report(form: SignatureForm, verdict: Verdict, validationTime: Date, rest: Partial<SignatureValidationReport> = {}): SignatureValidationReport {
  return {
    form, indication: verdict.indication, ...(verdict.subIndication ? { subIndication: verdict.subIndication } : {}),
    message: verdict.message, messageVi: describeVi(verdict.indication, verdict.subIndication, verdict.message),
    validationTime: validationTime.toISOString(),
    evidence: { certificates: [], revocation: [], timestamps: [] }, warnings: [],
    ...rest,
  };
}

function safeSummary(der: Uint8Array): CertificateSummary | undefined {
  try { return summariseCertificate(der); } catch { return undefined; }
}

export async function assessSignature(facts: SignatureFacts, context: VerificationContext): Promise<SignatureValidationReport> {
  const validationTime = context.validationTime ?? new Date();
  if (facts.stage === 'format') return report(facts.form, { indication: 'TOTAL_FAILED', subIndication: 'FORMAT_FAILURE', message: facts.message }, validationTime);
  if (facts.stage === 'no-certificate') return report(facts.form, { indication: 'INDETERMINATE', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND', message: facts.message }, validationTime);

  // The summary comes from the path validation; parse the certificate here only when we stop before it.
  const signerOf = (): { signer?: CertificateSummary } => { const s = safeSummary(facts.signer); return s ? { signer: s } : {}; };
  const warnings = [...(facts.warnings ?? [])];
  const claimed = facts.signingTime ? { signingTime: facts.signingTime.toISOString() } : {};
  if (facts.failure) {
    return report(facts.form, { indication: 'TOTAL_FAILED', ...facts.failure }, validationTime, { ...signerOf(), ...claimed, warnings });
  }

  // Signature time-stamp (RFC 3161 over the signature value): its genTime is the best signature time.
  let bestTime = validationTime;
  const timestamps: TimestampEvidence[] = [];
  const tsRevocation: RevocationEvidence[] = [];
  if (facts.timeStampToken && facts.signatureValue) {
    const imprint = createHash('sha256').update(facts.signatureValue).digest();
    const ts = await context.timeStampVerifier.verify(facts.timeStampToken, imprint, context.storedRevocation ? { storedRevocation: context.storedRevocation } : {});
    if (ts.indication === 'TOTAL_FAILED') {
      return report(facts.form, { indication: 'TOTAL_FAILED', subIndication: ts.subIndication ?? 'HASH_FAILURE', message: `the signature time-stamp is invalid: ${ts.message}` }, validationTime, { ...signerOf(), ...claimed, warnings });
    }
    if (ts.indication === 'TOTAL_PASSED' && ts.genTime) {
      bestTime = ts.genTime;
      if (ts.evidence) timestamps.push(ts.evidence);
      tsRevocation.push(...(ts.tsaPath?.revocation ?? []));
      if (facts.signingTime && facts.signingTime.getTime() > ts.genTime.getTime() + 5 * 60_000) warnings.push('the claimed signing time is after the time-stamp (clock skew?)');
    } else {
      warnings.push(`the signature time-stamp could not be validated (${ts.subIndication ?? ts.indication}: ${ts.message}); the validation time is used instead`);
    }
  }

  const path = await context.pathValidator.validate({
    signer: facts.signer, candidates: facts.candidates, at: bestTime, purpose: facts.purpose,
    ...(context.storedRevocation ? { storedRevocation: context.storedRevocation } : {}),
    ...(context.extraCrls ? { extraCrls: context.extraCrls } : {}),
  });
  warnings.push(...path.warnings);
  const evidence = { certificates: path.chain.map(b64), revocation: [...path.revocation, ...tsRevocation], timestamps };
  const rest = { ...(path.signer ? { signer: path.signer } : signerOf()), ...claimed, bestSignatureTime: bestTime.toISOString(), evidence, warnings };

  // Organisation binding (envelope only): a mismatch fails even when everything else passes.
  let organisationCheck: SignatureValidationReport['organisationCheck'];
  if (facts.expectedOrganId !== undefined || facts.form === 'XML-DSig') {
    const certificateOrganId = context.directory?.organIdOf(path.signer ?? (signerOf().signer as CertificateSummary));
    const expected = facts.expectedOrganId !== undefined ? { expectedOrganId: facts.expectedOrganId } : {};
    organisationCheck = !context.directory
      ? { status: 'not_checked', ...expected, ...(path.signer?.organId ? { certificateOrganId: path.signer.organId } : {}) }
      : { status: certificateOrganId !== undefined && certificateOrganId === facts.expectedOrganId ? 'matched' : 'mismatched', ...expected, ...(certificateOrganId ? { certificateOrganId } : {}) };
  }
  const withOrg = organisationCheck ? { ...rest, organisationCheck } : rest;
  if (organisationCheck?.status === 'mismatched') {
    return report(facts.form, { indication: 'TOTAL_FAILED', subIndication: 'SIG_CONSTRAINTS_FAILURE', message: `the signer's organisation (${organisationCheck.certificateOrganId ?? 'not in the directory'}) is not the sending agency ${facts.expectedOrganId ?? '(none)'}` }, validationTime, withOrg);
  }
  if (path.indication !== 'TOTAL_PASSED') {
    return report(facts.form, { indication: path.indication, ...(path.subIndication ? { subIndication: path.subIndication } : {}), message: `certificate path: ${path.message}` }, validationTime, withOrg);
  }
  return report(facts.form, { indication: 'TOTAL_PASSED', message: 'the signature is valid' }, validationTime, withOrg);
}
