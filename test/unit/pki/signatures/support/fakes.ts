// Small stand-ins for the trust layer (src/pki/trust-services.ts) so the signature forms can be tested
// alone: a path validator over node:crypto X509Certificate with configurable revocation and key-usage
// verdicts, an RFC 3161 client backed by `openssl ts -reply`, and a time-stamp verifier that checks the
// token's CMS signature, its imprint and reads genTime.
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificateSummary } from '../../../../../src/domain/validation-report.ts';
import type { CertificatePathValidator, PathValidationInput, PathValidationResult, TimeStampAuthorityClient, TimeStampTokenVerifier, TimeStampVerification } from '../../../../../src/pki/trust-services.ts';
import { checkCmsCryptography } from '../../../../../src/pki/cms/cms-signature-check.ts';
import { children, content, expectTag, parseTime, readNode, Tag } from '../../../../../src/pki/cms/der.ts';
import { parseSignedData } from '../../../../../src/pki/cms/signed-data-parser.ts';
import { summariseCertificate } from '../../../../../src/pki/verify/certificate-facts.ts';
import type { ThrowawayPki } from './throwaway-pki.ts';

export interface FakeValidatorOptions {
  readonly anchors: readonly Buffer[];
  /** CA certificates the trust list allows as intermediates (path building candidates). */
  readonly intermediates?: readonly Buffer[];
  /** sha256 of a certificate → revocation time */
  readonly revoked?: ReadonlyMap<string, Date>;
  /** sha256 of certificates whose key usage does not allow signing */
  readonly badUsage?: ReadonlySet<string>;
  readonly revocationUnavailable?: boolean;
}

const sha = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

export class FakePathValidator implements CertificatePathValidator {
  calls: PathValidationInput[] = [];
  constructor(private readonly options: FakeValidatorOptions) {}

  async validate(input: PathValidationInput): Promise<PathValidationResult> {
    this.calls.push(input);
    const signer: CertificateSummary = summariseCertificate(input.signer);
    if (!signer.notBefore || !signer.notAfter) return { indication: 'INDETERMINATE', subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE', message: 'unreadable validity', signer, chain: [], revocation: [], warnings: [] };
    const fail = (indication: PathValidationResult['indication'], subIndication: PathValidationResult['subIndication'], message: string, chain: Uint8Array[] = []): PathValidationResult => ({ indication, ...(subIndication ? { subIndication } : {}), message, signer, chain, revocation: [], warnings: [] });
    const pool = [...input.candidates, ...(this.options.intermediates ?? []), ...this.options.anchors].flatMap((d) => { try { const c = new X509Certificate(d); void c.publicKey; return [c]; } catch { return []; } }); // damaged candidates are ignored
    const chain: X509Certificate[] = [new X509Certificate(input.signer)];
    for (let i = 0; i < 8; i += 1) {
      const last = chain.at(-1) as X509Certificate;
      if (this.options.anchors.some((a) => Buffer.compare(a, last.raw) === 0)) break;
      const issuer = pool.find((c) => c.subject === last.issuer && last.verify(c.publicKey) && Buffer.compare(c.raw, last.raw) !== 0);
      if (!issuer) return fail('INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND', `no issuer for ${last.subject.replace(/\n/g, ', ')}`);
      chain.push(issuer);
    }
    const ders = chain.map((c) => c.raw);
    const at = input.at.getTime();
    for (const c of chain) {
      if (at < new Date(c.validFrom).getTime()) return fail('TOTAL_FAILED', 'NOT_YET_VALID', 'not yet valid', ders);
      if (at > new Date(c.validTo).getTime()) return fail('INDETERMINATE', 'OUT_OF_BOUNDS_NO_POE', 'expired at the signature time', ders);
    }
    if (this.options.badUsage?.has(sha(input.signer))) return fail('INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE', 'key usage does not allow signing', ders);
    if (this.options.revocationUnavailable) return fail('INDETERMINATE', 'TRY_LATER', 'no revocation information', ders);
    const revokedAt = this.options.revoked?.get(sha(input.signer));
    if (revokedAt && revokedAt.getTime() <= at) return fail('TOTAL_FAILED', 'REVOKED', `revoked at ${revokedAt.toISOString()}`, ders);
    return { indication: 'TOTAL_PASSED', message: 'ok', signer, chain: ders, revocation: [], warnings: revokedAt ? ['revoked after the signature time'] : [] };
  }
}

/** RFC 3161 client answered by `openssl ts -reply` with the throwaway TSA. */
export function opensslTsa(pki: ThrowawayPki): TimeStampAuthorityClient & { calls: number } {
  const dir = mkdtempSync(join(pki.dir, 'ts-'));
  const client = {
    calls: 0,
    async stamp(imprint: Uint8Array): Promise<Uint8Array> {
      client.calls += 1;
      execFileSync('openssl', ['ts', '-query', '-digest', Buffer.from(imprint).toString('hex'), '-sha256', '-cert', '-out', join(dir, 'q.tsq')], { stdio: 'pipe' });
      execFileSync('openssl', ['ts', '-reply', '-config', join(pki.dir, 'tsa.cnf'), '-queryfile', join(dir, 'q.tsq'), '-token_out', '-out', join(dir, 't.tst')], { stdio: 'pipe' });
      return readFileSync(join(dir, 't.tst'));
    },
  };
  return client;
}

/** Checks a TimeStampToken's signature and imprint (TSA chain: trusted by construction in these tests). */
export class FakeTimeStampVerifier implements TimeStampTokenVerifier {
  async verify(token: Uint8Array, expected: Uint8Array): Promise<TimeStampVerification> {
    const parts = parseSignedData(token);
    const tst = parts.encapsulatedContent as Uint8Array;
    const crypto = checkCmsCryptography(parts, createHash(parts.digestAlgorithm).update(tst).digest(), new X509Certificate(parts.signerCertificate as Uint8Array).publicKey);
    if (!crypto.ok) return { indication: 'TOTAL_FAILED', subIndication: crypto.subIndication, message: crypto.message };
    const fields = children(expectTag(readNode(tst), Tag.SEQUENCE, 'TSTInfo'));
    const imprint = content(children(fields[2] as never)[1] as never);
    if (Buffer.compare(Buffer.from(imprint), Buffer.from(expected)) !== 0) return { indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE', message: 'the time-stamp covers other data' };
    const genTime = parseTime(fields[4] as never);
    const tsa = summariseCertificate(parts.signerCertificate as Uint8Array);
    return { indication: 'TOTAL_PASSED', message: 'ok', genTime, evidence: { genTime: genTime.toISOString(), tsa, der: Buffer.from(token).toString('base64') } };
  }
}

export function writeNssDb(pki: ThrowawayPki): string {
  const dir = mkdtempSync(join(pki.dir, 'nss-'));
  execFileSync('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password'], { stdio: 'pipe' });
  execFileSync('certutil', ['-A', '-d', `sql:${dir}`, '-n', 'dev-root', '-t', 'CT,C,C', '-i', pki.rootFile], { stdio: 'pipe' });
  writeFileSync(join(dir, '.keep'), '');
  return dir;
}
