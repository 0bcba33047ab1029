// Verification of the three signature forms (issue 3 item 6), each producing a SignatureValidationReport.
// Public keys of signer certificates are kept in a small bounded cache (parsing a certificate costs more
// than an RSA verification); everything else is checked on every call.
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import type { SignatureValidationReport } from '../../domain/validation-report.ts';
import { checkCmsCryptography } from '../cms/cms-signature-check.ts';
import { CmsFormatError, parseSignedData, type CmsSignatureParts } from '../cms/signed-data-parser.ts';
import { splitBase64Runs } from '../xmldsig/base64-runs.ts';
import { checkEnvelopeSignature, checkSplitEnvelopeSignature, type EnvelopeCheck } from '../xmldsig/envelope-verifier.ts';
import { findPdfSignatures } from '../pades/pdf-signatures.ts';
import { bufferSource, readerSource, type RandomAccessReader } from '../pades/pdf-source.ts';
import { purposeOf } from './certificate-facts.ts';
import { assessSignature, type SignatureFacts, type VerificationContext } from './signature-assessment.ts';

/** A Buffer view of the same memory (callers may hand plain Uint8Arrays, e.g. from fflate): no copy. */
const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/** The detached content: its bytes, or a function hashing it (e.g. streaming a 50 MB file). */
export type DetachedContent = Uint8Array | ((algorithm: 'sha256' | 'sha384' | 'sha512') => Promise<Uint8Array>);

export class SignatureVerifier {
  private readonly keys = new Map<string, { key: KeyObject; purpose: ReturnType<typeof purposeOf> }>();

  constructor(private readonly context: VerificationContext, private readonly keyCacheSize = 256) {}

  /** Public key and signing purpose of a certificate, cached by the certificate's SHA-256. */
  certificateKey(der: Uint8Array): { key: KeyObject; purpose: ReturnType<typeof purposeOf> } {
    const id = createHash('sha256').update(der).digest('hex');
    let hit = this.keys.get(id);
    if (!hit) {
      hit = { key: new X509Certificate(der).publicKey, purpose: purposeOf(der) };
      if (this.keys.size >= this.keyCacheSize) this.keys.delete(this.keys.keys().next().value as string);
      this.keys.set(id, hit);
    }
    return hit;
  }

  async verifyEnvelope(bytes: Uint8Array): Promise<SignatureValidationReport> {
    return this.envelopeReport(checkEnvelopeSignature(asBuffer(bytes), (c) => this.certificateKey(c).key));
  }

  /**
   * A package too large to hold whole, read as a stream (`read` starts it afresh on each call): verified
   * from its skeleton, its base64 runs read again for the digest (xmldsig/base64-runs.ts). Null when the
   * package cannot be split safely: then read it whole and call {@link verifyEnvelope}.
   */
  async verifyEnvelopeStream(read: () => AsyncIterable<Uint8Array>): Promise<SignatureValidationReport | null> {
    const split = await splitBase64Runs(read);
    if (!split) return null;
    const check = await checkSplitEnvelopeSignature(split, read, (c) => this.certificateKey(c).key);
    return check ? await this.envelopeReport(check) : null;
  }

  private async envelopeReport(check: EnvelopeCheck): Promise<SignatureValidationReport> {
    let facts: SignatureFacts;
    if (check.kind === 'format') facts = { form: 'XML-DSig', stage: 'format', message: check.message };
    else if (check.kind === 'no-certificate') facts = { form: 'XML-DSig', stage: 'no-certificate', message: check.message };
    else {
      const signer = check.certificates[0] as Buffer;
      const failure = !check.digestOk
        ? { subIndication: 'HASH_FAILURE' as const, message: 'the document digest does not match the Reference: the package was changed after signing' }
        : !check.signatureOk ? { subIndication: 'SIG_CRYPTO_FAILURE' as const, message: 'the SignatureValue does not verify with the KeyInfo certificate' } : undefined;
      // The envelope is the agency's signature (issue 3 item 5): say so when a personal certificate made it.
      const personal = this.certificateKey(signer).purpose === 'personal-signing';
      facts = {
        form: 'XML-DSig', stage: 'crypto', signer, candidates: check.certificates, purpose: 'organisation-signing',
        warnings: personal ? ['the signer certificate carries no organ id: not an organisational (agency) certificate'] : [],
        ...(failure ? { failure } : {}), ...(check.fromOrganId !== undefined ? { expectedOrganId: check.fromOrganId } : { expectedOrganId: '' }),
      };
    }
    return assessSignature(facts, this.context);
  }

  /** A detached CMS SignedData (DER) over `content`. */
  async verifyDetachedCms(cms: Uint8Array, content: DetachedContent): Promise<SignatureValidationReport> {
    let parts: CmsSignatureParts;
    try {
      parts = parseSignedData(cms);
    } catch (error) {
      if (error instanceof CmsFormatError) return assessSignature({ form: 'CMS', stage: 'format', message: error.message }, this.context);
      throw error;
    }
    if (parts.encapsulatedContent) return assessSignature({ form: 'CMS', stage: 'format', message: 'the CMS embeds its content; a detached signature is expected' }, this.context);
    const digest = typeof content === 'function' ? await content(parts.digestAlgorithm) : createHash(parts.digestAlgorithm).update(content).digest();
    return assessSignature(this.cmsFacts('CMS', parts, digest), this.context);
  }

  /**
   * Every signature of a PDF, oldest first. A signature followed by later incremental updates is
   * reported with a warning (ETSI EN 319 142-1 allows them; what they change is not judged here).
   */
  async verifyPdf(input: Uint8Array | RandomAccessReader): Promise<SignatureValidationReport[]> {
    const pdf = input instanceof Uint8Array ? bufferSource(asBuffer(input)) : readerSource(input);
    let signatures;
    try {
      signatures = findPdfSignatures(pdf);
    } catch (error) {
      if (error instanceof Error && 'syscall' in error) throw error; // the file could not be read (I/O): not a verdict on the PDF
      // Reading the structure is pure parsing of untrusted bytes: whatever breaks it (syntax, a corrupt
      // compressed stream, a dangling reference) means the file is not a PDF we can judge.
      const message = error instanceof Error ? error.message : String(error);
      return [await assessSignature({ form: 'PAdES', stage: 'format', message: `the PDF cannot be read: ${message}` }, this.context)];
    }
    if (signatures.length === 0) return [await assessSignature({ form: 'PAdES', stage: 'format', message: 'the PDF carries no signature' }, this.context)];
    const reports: SignatureValidationReport[] = [];
    for (const [i, sig] of signatures.entries()) {
      const problems = [...sig.problems];
      if (sig.subFilter !== 'ETSI.CAdES.detached' && sig.subFilter !== 'adbe.pkcs7.detached') problems.push(`SubFilter ${sig.subFilter || '(none)'} is not allowed`);
      let parts: CmsSignatureParts | undefined;
      if (problems.length === 0) {
        try { parts = parseSignedData(sig.cms); } catch (error) {
          if (!(error instanceof CmsFormatError)) throw error;
          problems.push(error.message);
        }
      }
      if (problems.length > 0 || !parts) { reports.push(await assessSignature({ form: 'PAdES', stage: 'format', message: `${sig.fieldName}: ${problems.join('; ')}` }, this.context)); continue; }
      const [a, b, c, d] = sig.byteRange;
      const hash = createHash(parts.digestAlgorithm);
      for await (const chunk of pdf.chunks(a, a + b)) hash.update(chunk);
      for await (const chunk of pdf.chunks(c, c + d)) hash.update(chunk);
      const digest = hash.digest();
      const warnings = [`field ${sig.fieldName}, signature ${i + 1} of ${signatures.length}`];
      if (!sig.coversWholeFile) warnings.push('incremental updates were appended after this signature (the later signatures cover them)');
      if (sig.subFilter !== 'ETSI.CAdES.detached') warnings.push('SubFilter adbe.pkcs7.detached: not a PAdES baseline signature');
      reports.push(await assessSignature(this.cmsFacts('PAdES', parts, digest, warnings), this.context));
    }
    return reports;
  }

  /** Facts of a CMS signer (shared by detached CMS and PAdES). */
  cmsFacts(form: 'CMS' | 'PAdES', parts: CmsSignatureParts, contentDigest: Uint8Array, warnings: readonly string[] = []): SignatureFacts {
    if (!parts.signerCertificate) return { form, stage: 'no-certificate', message: 'the signer certificate is not in the CMS certificates' };
    let known;
    try {
      known = this.certificateKey(parts.signerCertificate);
    } catch {
      return { form, stage: 'no-certificate', message: 'the signer certificate cannot be parsed' };
    }
    const extra = [...warnings];
    if (!parts.essCertId) extra.push('no signing-certificate(-v2) attribute (CAdES-BES requires one)');
    const check = checkCmsCryptography(parts, contentDigest, known.key);
    return {
      form, stage: 'crypto', signer: parts.signerCertificate, candidates: parts.certificates, purpose: known.purpose,
      ...(check.ok ? {} : { failure: { subIndication: check.subIndication, message: check.message } }),
      ...(parts.signingTime ? { signingTime: parts.signingTime } : {}),
      signatureValue: parts.signature,
      ...(parts.timeStampToken ? { timeStampToken: parts.timeStampToken } : {}),
      warnings: extra,
    };
  }
}
