import { createHash } from 'node:crypto';
import type { RevocationEvidence } from '../../domain/validation-report.ts';
import type { CertificateCache } from '../certificates/certificate-cache.ts';
import { parseCertificate, type ParsedCertificate } from '../certificates/parsed-certificate.ts';
import { sendWithRetries, type HttpTransport, type RetryPolicy } from '../trust/http-transport.ts';
import { isCrlFrom, parseCrl, type ParsedCrl } from './crl.ts';
import { HttpOcspClient } from './ocsp-client.ts';
import { verifyOcspResponse } from './ocsp.ts';
import type { RevocationAnswer } from './revocation-answer.ts';

// Revocation status of one certificate at a given time (RFC 5280 §6.3, RFC 6960), from, in order:
// the evidence stored with the document, the CRLs given by the caller, answers cached earlier, the
// certificate's CRL distribution points, its OCSP responders (AIA or the configured URL). An answer is
// usable for time T when it was known correct no earlier than T − freshness (issue 3: default 1 hour).
// Each answer is verified (signature, issuer) before use; stored evidence is never trusted unverified.

export interface RevocationSettings {
  readonly freshnessMs: number;
  readonly ocsp: RetryPolicy & { readonly url: string | null; readonly useAia: boolean };
  readonly crl: RetryPolicy & { readonly fetchDistributionPoints: boolean };
  /** Tolerated clock skew for answers dated in the future. */
  readonly clockSkewMs: number;
}

export type RevocationOutcome =
  | { readonly status: 'good' | 'revoked'; readonly answer: RevocationAnswer; readonly notes: readonly string[] }
  | { readonly status: 'unavailable'; readonly notes: readonly string[] };

const cacheLimit = 50_000;

export class RevocationChecker {
  /** Verified answers per certificate SHA-256, newest last. */
  private readonly answers = new Map<string, RevocationAnswer[]>();
  /** Parsed CRLs per SHA-256 of their DER, with the issuers they were verified against. */
  private readonly crls = new Map<string, { crl: ParsedCrl; verifiedFor: Set<string> }>();
  /** CRLs fetched from a distribution point, per URL. */
  private readonly fetchedCrls = new Map<string, ParsedCrl>();
  private readonly inflight = new Map<string, Promise<{ answer?: RevocationAnswer; notes: string[] }>>();

  constructor(
    private readonly settings: RevocationSettings,
    private readonly transport: HttpTransport,
    private readonly clock: () => Date = () => new Date(),
    /** Parses certificates carried in OCSP responses once (responder certificates). */
    cache?: CertificateCache,
  ) {
    this.parse = (der) => (cache ? cache.get(der) : parseCertificate(der));
    this.ocsp = new HttpOcspClient(settings.ocsp, transport, this.parse);
  }

  private readonly parse: (der: Uint8Array) => ParsedCertificate;
  private readonly ocsp: HttpOcspClient;

  async check(input: { cert: ParsedCertificate; issuer: ParsedCertificate; at: Date; stored?: readonly RevocationEvidence[]; extraCrls?: readonly Uint8Array[] }): Promise<RevocationOutcome> {
    const { cert, issuer, at } = input;
    const notes: string[] = [];
    const usable = (a: RevocationAnswer): boolean => this.isUsable(a, cert, at, notes);

    for (const evidence of input.stored ?? []) {
      if (evidence.certificateSha256 !== cert.sha256) continue;
      const answer = this.verifyStored(evidence, cert, issuer, notes);
      if (answer && usable(answer)) return this.decide(answer, notes);
    }
    for (const der of input.extraCrls ?? []) {
      const answer = this.fromCrl(der, cert, issuer, 'given CRL', notes);
      if (answer && usable(answer)) return this.decide(answer, notes);
    }
    const cached = [...(this.answers.get(cert.sha256) ?? [])].reverse().find((a) => this.isUsable(a, cert, at, []));
    if (cached) return this.decide(cached, notes);

    // Concurrent validations of one certificate share one network lookup (a joiner whose `at` the shared
    // answer does not cover looks up on its own).
    const shared = this.inflight.get(cert.sha256);
    if (shared) {
      const result = await shared;
      if (result.answer && this.isUsable(result.answer, cert, at, [])) return this.decide(result.answer, [...notes, ...result.notes]);
    }
    const own = this.fetch(cert, issuer, at).finally(() => { if (this.inflight.get(cert.sha256) === own) this.inflight.delete(cert.sha256); });
    this.inflight.set(cert.sha256, own);
    const result = await own;
    notes.push(...result.notes);
    return result.answer ? this.decide(result.answer, notes) : { status: 'unavailable', notes };
  }

  private async fetch(cert: ParsedCertificate, issuer: ParsedCertificate, at: Date): Promise<{ answer?: RevocationAnswer; notes: string[] }> {
    const notes: string[] = [];
    const answer = await this.fetchInto(cert, issuer, at, notes);
    return { ...(answer ? { answer } : {}), notes };
  }

  private async fetchInto(cert: ParsedCertificate, issuer: ParsedCertificate, at: Date, notes: string[]): Promise<RevocationAnswer | undefined> {
    const usable = (a: RevocationAnswer): boolean => this.isUsable(a, cert, at, notes);
    if (this.settings.crl.fetchDistributionPoints) {
      for (const url of cert.crlUrls.filter((u) => /^https?:\/\//.test(u))) {
        const answer = await this.fromDistributionPoint(url, cert, issuer, at, notes);
        if (answer && usable(answer)) return this.remember(cert, answer);
      }
    }
    const ocspUrls = [...(this.settings.ocsp.url ? [this.settings.ocsp.url] : []), ...(this.settings.ocsp.useAia ? cert.ocspUrls : [])];
    for (const url of [...new Set(ocspUrls)]) {
      const answer = await this.fromOcsp(url, cert, issuer, notes);
      if (answer && answer.status !== 'unknown' && usable(answer)) return this.remember(cert, answer);
      if (answer?.status === 'unknown') notes.push(`${url}: responder does not know the certificate`);
    }
    return undefined;
  }

  private decide(answer: RevocationAnswer, notes: string[]): RevocationOutcome {
    return { status: answer.status === 'revoked' ? 'revoked' : 'good', answer, notes };
  }

  /** Fresh for `at`: known correct at most `freshness` before it, and not dated in the future. */
  private isUsable(answer: RevocationAnswer, cert: ParsedCertificate, at: Date, notes: string[]): boolean {
    if (answer.status === 'unknown') return false;
    // A revocation dated before `at` is final whatever the answer's age (RFC 5280: revocation is permanent, bar certificateHold).
    if (answer.status === 'revoked' && answer.revokedAt && answer.revokedAt <= at) return true;
    // CAs may drop expired certificates from CRLs and OCSP (RFC 5280 §3.3, RFC 6960 §2.2): a "good" issued
    // after the certificate expired proves nothing; long-term validation needs evidence from before expiry.
    if (answer.thisUpdate > cert.notAfter) {
      notes.push(`${answer.kind} from ${answer.source} was issued after the certificate expired (${cert.notAfter.toISOString()})`);
      return false;
    }
    if (answer.thisUpdate.getTime() > this.clock().getTime() + this.settings.clockSkewMs) {
      notes.push(`${answer.kind} from ${answer.source} is dated in the future (${answer.thisUpdate.toISOString()})`);
      return false;
    }
    if (answer.thisUpdate.getTime() < at.getTime() - this.settings.freshnessMs) {
      notes.push(`${answer.kind} from ${answer.source} is stale: ${answer.thisUpdate.toISOString()} is more than ${this.settings.freshnessMs / 1000} s before ${at.toISOString()}`);
      return false;
    }
    return true;
  }

  private remember(cert: ParsedCertificate, answer: RevocationAnswer): RevocationAnswer {
    const list = this.answers.get(cert.sha256) ?? [];
    list.push(answer);
    if (list.length > 4) list.shift();
    if (this.answers.size >= cacheLimit && !this.answers.has(cert.sha256)) this.answers.clear();
    this.answers.set(cert.sha256, list);
    return answer;
  }

  private verifyStored(evidence: RevocationEvidence, cert: ParsedCertificate, issuer: ParsedCertificate, notes: string[]): RevocationAnswer | undefined {
    const der = new Uint8Array(Buffer.from(evidence.der, 'base64'));
    if (evidence.kind === 'CRL') return this.fromCrl(der, cert, issuer, 'stored', notes);
    try {
      return verifyOcspResponse(der, cert, issuer, { source: 'stored', parse: this.parse });
    } catch (error) {
      notes.push(`stored OCSP response rejected: ${(error as Error).message}`);
      return undefined;
    }
  }

  private parsedCrl(der: Uint8Array): { crl: ParsedCrl; verifiedFor: Set<string> } {
    const key = createHash('sha256').update(der).digest('hex');
    let entry = this.crls.get(key);
    if (!entry) {
      if (this.crls.size >= 1_000) this.crls.clear();
      entry = { crl: parseCrl(der), verifiedFor: new Set() };
      this.crls.set(key, entry);
    }
    return entry;
  }

  private answerFromCrl(crl: ParsedCrl, cert: ParsedCertificate, source: string): RevocationAnswer {
    const revokedAt = crl.revoked.get(cert.serialHex);
    return {
      kind: 'CRL', status: revokedAt ? 'revoked' : 'good', thisUpdate: crl.thisUpdate, producedAt: crl.thisUpdate,
      ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate } : {}), ...(revokedAt ? { revokedAt } : {}), der: crl.der, source,
    };
  }

  private fromCrl(der: Uint8Array, cert: ParsedCertificate, issuer: ParsedCertificate, source: string, notes: string[]): RevocationAnswer | undefined {
    let entry: { crl: ParsedCrl; verifiedFor: Set<string> };
    try { entry = this.parsedCrl(der); } catch (error) { notes.push(`${source}: not a CRL (${(error as Error).message})`); return undefined; }
    if (Buffer.compare(entry.crl.issuerDer, issuer.subjectDer) !== 0) return undefined; // another CA's CRL: not about this certificate
    if (!entry.verifiedFor.has(issuer.sha256)) {
      if (!isCrlFrom(entry.crl, issuer)) { notes.push(`${source}: CRL signature or issuer does not verify`); return undefined; }
      entry.verifiedFor.add(issuer.sha256);
    }
    return this.answerFromCrl(entry.crl, cert, source);
  }

  private async fromDistributionPoint(url: string, cert: ParsedCertificate, issuer: ParsedCertificate, at: Date, notes: string[]): Promise<RevocationAnswer | undefined> {
    const known = this.fetchedCrls.get(url);
    if (known) {
      const answer = this.fromCrl(known.der, cert, issuer, url, notes);
      if (answer && this.isUsable(answer, cert, at, [])) return answer;
    }
    try {
      const response = await sendWithRetries(this.transport, { method: 'GET', url }, this.settings.crl, 'pki.revocation_unavailable');
      const answer = this.fromCrl(response.body, cert, issuer, url, notes);
      if (answer) this.fetchedCrls.set(url, this.parsedCrl(response.body).crl);
      return answer;
    } catch (error) {
      notes.push(`${url}: ${(error as Error).message}${describe(error)}`);
      return undefined;
    }
  }

  private async fromOcsp(url: string, cert: ParsedCertificate, issuer: ParsedCertificate, notes: string[]): Promise<RevocationAnswer | undefined> {
    try {
      return await this.ocsp.status(url, cert, issuer);
    } catch (error) {
      notes.push(`${url}: ${(error as Error).message}${describe(error)}`);
      return undefined;
    }
  }
}

function describe(error: unknown): string {
  const details = (error as { details?: readonly { message: string }[] }).details;
  return details && details.length > 0 ? ` (${details.map((d) => d.message).join('; ')})` : '';
}
