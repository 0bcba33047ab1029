import { createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile, rm } from 'node:fs/promises';
import { DomainError } from '../../domain/errors.ts';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type * as pkijs from 'pkijs';
import { toPem } from '../certificates/pem.ts';
import { parseCertificate } from '../certificates/parsed-certificate.ts';
import { writePkcs12 } from '../keys/pkcs12.ts';
import { encryptPrivateKeyPem } from '../keys/signing-key.ts';
import { issueCertificate } from './certificate-issuer.ts';
import { issueCrl } from './crl-issuer.ts';
import { devPkiPlan, devServicesBaseUrl, type DevEntity } from './dev-pki-plan.ts';
import { devManifestVersion, type DevManifest, type DevManifestEntry, type DevManifestFile } from './dev-manifest.ts';

const generateRsa = promisify(generateKeyPair);

/** Serial numbers: 16 random octets, positive (RFC 5280 §4.1.2.2: ≤ 20 octets, unique per issuer). */
function serial(): Uint8Array {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 1) & 0x7f) | 0x10;
  return new Uint8Array(bytes);
}

export interface GenerateDevPkiOptions {
  readonly outDir: string;
  readonly passphrase: string;
  /** When the CRLs say they were issued (default: now). */
  readonly now?: Date;
}

/**
 * Writes the development PKI (docs/pki-trust.md): certificates as PEM, private keys as encrypted PKCS#8
 * PEM (and PKCS#12 with the chain for signers), the CA CRLs, and `manifest.json` listing every file.
 */
export async function generateDevPki(options: GenerateDevPkiOptions): Promise<DevManifest> {
  const now = options.now ?? new Date();
  const plan = devPkiPlan();
  const keys = new Map<string, KeyObject>(await Promise.all(plan.map(async (e) => {
    const pair = await generateRsa('rsa', { modulusLength: e.keyBits, publicExponent: 0x10001 });
    return [e.id, pair.privateKey] as const;
  })));
  const publicKeys = new Map(plan.map((e) => [e.id, createPublicKey(keys.get(e.id) as KeyObject)] as const));
  const certs = new Map<string, pkijs.Certificate>();
  for (const entity of plan) {
    const issuerCert = entity.issuerId === null ? undefined : certs.get(entity.issuerId);
    const privateKey = keys.get(entity.issuerId ?? entity.id) as KeyObject;
    const cert = issueCertificate({
      subject: entity.subject, serial: serial(), notBefore: entity.notBefore, notAfter: entity.notAfter,
      publicKey: publicKeys.get(entity.id) as KeyObject,
      ...(entity.ca ? { ca: entity.ca } : {}),
      keyUsage: entity.keyUsage,
      ...(entity.extendedKeyUsage ? { extendedKeyUsage: entity.extendedKeyUsage } : {}),
      ...(entity.withRevocationPointers ? {
        crlUrl: `${devServicesBaseUrl}/crl/${entity.issuerId === 'root' ? 'root' : 'issuing-ca'}.crl`,
        ocspUrl: `${devServicesBaseUrl}/ocsp`,
      } : {}),
      ...(entity.ocspNoCheck ? { ocspNoCheck: true } : {}),
    }, { ...(issuerCert ? { certificate: issuerCert } : {}), privateKey });
    certs.set(entity.id, cert);
  }

  // Replace a previous dev PKI only, file by file from its manifest: files others keep beside it stay,
  // and a directory that is not a dev PKI (e.g. a mistyped --out) is never wiped.
  const existing = await readdir(options.outDir).catch(() => [] as string[]);
  if (existing.length > 0 && !existing.includes('manifest.json')) {
    throw new DomainError('request.invalid', { details: [{ field: 'out', message: `${options.outDir} is not empty and holds no dev PKI manifest: refusing to replace it` }] });
  }
  if (existing.includes('manifest.json')) {
    const previous = JSON.parse(await readFile(join(options.outDir, 'manifest.json'), 'utf8')) as { files?: { path: string }[] };
    for (const file of previous.files ?? []) {
      if (!file.path.includes('..')) await rm(join(options.outDir, file.path), { force: true });
    }
  }
  const files: DevManifestFile[] = [];
  const write = async (path: string, role: DevManifestFile['role'], data: string | Uint8Array, entityId?: string): Promise<void> => {
    await mkdir(dirname(join(options.outDir, path)), { recursive: true });
    await writeFile(join(options.outDir, path), data);
    files.push({ path, role, ...(entityId !== undefined ? { entity: entityId } : {}) });
  };
  const der = (id: string): Uint8Array => new Uint8Array((certs.get(id) as pkijs.Certificate).toSchema().toBER(false));
  const chainOf = (entity: DevEntity): string[] => {
    const ids: string[] = [];
    for (let id = entity.issuerId; id !== null;) { ids.push(id); id = plan.find((e) => e.id === id)?.issuerId ?? null; }
    return ids;
  };

  const entries: DevManifestEntry[] = [];
  for (const entity of plan) {
    const parsed = parseCertificate(der(entity.id));
    const certificate = `${entity.path}.crt.pem`;
    const key = `${entity.path}.key.pem`;
    await write(certificate, 'certificate', toPem(parsed.der, 'CERTIFICATE'), entity.id);
    await write(key, 'encrypted-private-key', encryptPrivateKeyPem(keys.get(entity.id) as KeyObject, options.passphrase), entity.id);
    let pkcs12: string | undefined;
    if (!entity.ca) {
      pkcs12 = `${entity.path}.p12`;
      const chain = chainOf(entity).map(der);
      await write(pkcs12, 'pkcs12', writePkcs12({ privateKey: keys.get(entity.id) as KeyObject, certificate: parsed.der, chain, passphrase: options.passphrase, friendlyName: entity.username ?? entity.id }), entity.id);
    }
    entries.push({
      id: entity.id, role: entity.role, subject: parsed.subject, issuer: parsed.issuer, issuerId: entity.issuerId,
      serialNumber: parsed.serialHex, notBefore: parsed.notBefore.toISOString(), notAfter: parsed.notAfter.toISOString(), sha256: parsed.sha256,
      files: { certificate, key, ...(pkcs12 ? { pkcs12 } : {}) }, chain: chainOf(entity),
      ...(entity.organId !== undefined ? { organId: entity.organId } : {}),
      ...(entity.username !== undefined ? { username: entity.username } : {}),
      ...(entity.revocation ? { revokedAt: entity.revocation.revokedAt.toISOString(), revocationReason: entity.revocation.reason } : {}),
      expectation: entity.expectation,
    });
  }
  await write('ca/chain.pem', 'ca-chain', toPem(der('issuing-ca'), 'CERTIFICATE') + toPem(der('root'), 'CERTIFICATE'));

  const crls: DevManifest['crls'][number][] = [];
  const nextUpdate = new Date(now.getTime() + 10 * 365 * 86_400_000);
  for (const caId of ['issuing-ca', 'root'] as const) {
    const revoked = plan.filter((e) => e.issuerId === caId && e.revocation).map((e) => ({
      serialHex: entries.find((x) => x.id === e.id)?.serialNumber as string, revokedAt: e.revocation!.revokedAt, reason: e.revocation!.reason,
    }));
    const crl = issueCrl({ issuer: certs.get(caId) as pkijs.Certificate, issuerKey: keys.get(caId) as KeyObject, thisUpdate: now, nextUpdate, crlNumber: 1, revoked });
    const path = `crl/${caId}.crl`;
    await write(path, 'crl', crl);
    crls.push({ issuerId: caId, file: path, url: `${devServicesBaseUrl}/${path}`, thisUpdate: now.toISOString(), nextUpdate: nextUpdate.toISOString() });
  }

  const manifest: DevManifest = {
    version: devManifestVersion,
    generatedAt: now.toISOString(),
    passphrase: { env: 'EDOC_DEV_PKI_PASSPHRASE', note: 'every dev private key (PKCS#8 and PKCS#12) is encrypted with this passphrase; see docs/pki-trust.md' },
    organIdAttribute: 'subject UID (0.9.2342.19200300.100.1.1, RFC 4519)',
    services: { baseUrl: devServicesBaseUrl, ocsp: `${devServicesBaseUrl}/ocsp`, tsa: `${devServicesBaseUrl}/tsa` },
    trust: { anchors: ['ca/root.crt.pem'], intermediates: ['ca/issuing-ca.crt.pem'] },
    entries,
    crls,
    files: [...files, { path: 'manifest.json', role: 'manifest' }],
  };
  await writeFile(join(options.outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
