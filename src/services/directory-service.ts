// The directory of agencies (issue 5 item 2): signing by the axis operator, verification and installation
// by each node, and the fail-closed rule: no valid directory, no sending and no accepting of packages.
// The signature is RSA-SHA256 (PKCS#1 v1.5, RFC 8017 §8.2) over the exact UTF-8 bytes of the body text;
// the signer must be the pinned directory certificate, within its validity and issued by a configured CA.
import { createHash, sign as cryptoSign, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { directoryHealth, type DirectoryBody, type DirectoryHealth, type InstalledDirectory, type SignedDirectory } from '../domain/directory.ts';
import { DomainError } from '../domain/errors.ts';

const bodySchema = z.strictObject({
  version: z.number().int().positive(),
  issuedAt: z.string().datetime({ offset: true }),
  validFrom: z.string().datetime({ offset: true }),
  validUntil: z.string().datetime({ offset: true }),
  agencies: z.array(z.strictObject({
    organId: z.string().regex(/^[0-9A-Z.]{3,35}$/, 'an organ id'),
    name: z.string().min(1),
    level: z.enum(['central', 'province', 'district', 'commune']),
    parentOrganId: z.string().nullable(),
    certificates: z.array(z.string().min(1)),
  })),
});

const signedSchema = z.strictObject({
  body: z.string().min(2),
  signature: z.strictObject({ algorithm: z.literal('RSA-SHA256'), certificate: z.string().min(1), value: z.string().min(1) }),
});

const invalid = (message: string, cause?: unknown): DomainError => new DomainError('axis.directory_invalid', { details: [{ field: 'directory', message }], cause });

/** The axis operator's side: signs a directory body with the directory key. */
export function signDirectory(body: DirectoryBody, key: KeyObject, certificateDer: Uint8Array): SignedDirectory {
  const text = JSON.stringify(bodySchema.parse(body));
  return {
    body: text,
    signature: { algorithm: 'RSA-SHA256', certificate: Buffer.from(certificateDer).toString('base64'), value: cryptoSign('sha256', Buffer.from(text, 'utf8'), key).toString('base64') },
  };
}

export interface DirectoryTrust {
  /** The directory signing certificate nodes trust (pinned, DER). */
  readonly signerCertificate: Uint8Array;
  /** CAs that may have issued it (DER); the signer must verify against one of them. */
  readonly issuers: readonly Uint8Array[];
}

/** Verifies a signed directory (signature, pinned signer, its validity and issuer) and indexes it. */
export function verifyDirectory(input: unknown, trust: DirectoryTrust, now: Date): InstalledDirectory {
  const parsed = signedSchema.safeParse(input);
  if (!parsed.success) throw invalid(`not a signed directory: ${parsed.error.issues[0]?.message ?? 'shape'}`);
  const signed = parsed.data;
  const signerDer = Buffer.from(signed.signature.certificate, 'base64');
  if (!signerDer.equals(Buffer.from(trust.signerCertificate))) throw invalid('signed by a certificate other than the trusted directory certificate');
  const signer = new X509Certificate(signerDer);
  if (now < new Date(signer.validFrom) || now > new Date(signer.validTo)) throw invalid('the directory certificate is outside its validity period');
  if (!trust.issuers.some((der) => { const ca = new X509Certificate(der); return signer.checkIssued(ca) && signer.verify(ca.publicKey); })) {
    throw invalid('the directory certificate is not issued by a trusted CA');
  }
  if (!cryptoVerify('sha256', Buffer.from(signed.body, 'utf8'), signer.publicKey, Buffer.from(signed.signature.value, 'base64'))) {
    throw invalid('the directory signature does not verify: the body was changed after signing');
  }
  let body: DirectoryBody;
  try {
    body = bodySchema.parse(JSON.parse(signed.body));
  } catch (error) {
    throw invalid('the signed body is not a valid directory', error);
  }
  if (Date.parse(body.validUntil) <= Date.parse(body.validFrom)) throw invalid('validUntil is not after validFrom');
  const organIdByCertificate = new Map<string, string>();
  for (const agency of body.agencies) {
    for (const cert of agency.certificates) organIdByCertificate.set(createHash('sha256').update(Buffer.from(cert, 'base64')).digest('hex'), agency.organId);
  }
  return { body, signed, organIdByCertificate };
}

/**
 * The node's current directory. Installs only newer versions; `requireValid` is the fail-closed gate
 * every send and every receipt goes through (issue 5 item 2).
 */
export class DirectoryHolder {
  private current: InstalledDirectory | undefined;

  constructor(private readonly trust: DirectoryTrust, private readonly warnBeforeMs: number) {}

  get directory(): InstalledDirectory | undefined {
    return this.current;
  }

  /** Verifies and installs; returns false (nothing changed) for a version not newer than the current one. */
  install(input: unknown, now: Date): { installed: boolean; directory: InstalledDirectory } {
    const directory = verifyDirectory(input, this.trust, now);
    if (this.current && directory.body.version <= this.current.body.version) return { installed: false, directory: this.current };
    this.current = directory;
    return { installed: true, directory };
  }

  health(now: Date): DirectoryHealth {
    return directoryHealth(this.current, now, this.warnBeforeMs);
  }

  requireValid(now: Date): InstalledDirectory {
    const health = this.health(now);
    if (!this.current || (health.status !== 'ok' && health.status !== 'expiring')) {
      throw new DomainError('axis.directory_expired', { details: [{ field: 'directory', message: health.status === 'missing' ? 'no directory installed' : `directory ${health.status}` }] });
    }
    return this.current;
  }

  /** The organ id the directory registers `certificateSha256` (hex) for. */
  organIdOf(certificateSha256: string): string | undefined {
    return this.current?.organIdByCertificate.get(certificateSha256.toLowerCase());
  }
}
