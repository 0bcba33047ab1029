import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { pemBlocks } from '../certificates/pem.ts';
import { parseCertificate, type ParsedCertificate } from '../certificates/parsed-certificate.ts';
import { issueCrl, type CrlReason } from './crl-issuer.ts';
import { manifestEntry, readDevManifest, type DevManifest } from './dev-manifest.ts';

// The development CA's state, loaded from certs-dev/: its certificates, the keys of the CAs, the OCSP
// responder and the TSA (decrypted with the dev passphrase), and the revocation state (the manifest's
// revokedAt entries). Used by the dev OCSP/TSA/CRL services and by tests.

export interface DevSigner {
  readonly certificate: ParsedCertificate;
  readonly pkijs: pkijs.Certificate;
  readonly privateKey: KeyObject;
}

export interface DevRevocation {
  readonly serialHex: string;
  readonly revokedAt: Date;
  readonly reason: CrlReason;
}

export class DevCertificateAuthority {
  readonly root: DevSigner;
  readonly issuingCa: DevSigner;
  readonly ocspResponder: DevSigner;
  readonly tsa: DevSigner;
  /** Serial hex → id, per CA id: what each CA issued (for OCSP "unknown"). */
  private readonly issued = new Map<string, Set<string>>();
  private readonly revocations = new Map<string, DevRevocation[]>();

  constructor(readonly dir: string, readonly manifest: DevManifest, passphrase: string) {
    const signer = (id: string): DevSigner => {
      const entry = manifestEntry(manifest, id);
      const der = pemBlocks(readFileSync(join(dir, entry.files.certificate), 'utf8'), 'CERTIFICATE')[0] as Uint8Array;
      return {
        certificate: parseCertificate(der),
        pkijs: pkijs.Certificate.fromBER(der as Uint8Array<ArrayBuffer>),
        privateKey: createPrivateKey({ key: readFileSync(join(dir, entry.files.key), 'utf8'), format: 'pem', passphrase }),
      };
    };
    this.root = signer('root');
    this.issuingCa = signer('issuing-ca');
    this.ocspResponder = signer('ocsp');
    this.tsa = signer('tsa');
    for (const entry of manifest.entries) {
      if (entry.issuerId === null) continue;
      const set = this.issued.get(entry.issuerId) ?? new Set();
      set.add(entry.serialNumber);
      this.issued.set(entry.issuerId, set);
      if (entry.revokedAt) {
        const list = this.revocations.get(entry.issuerId) ?? [];
        list.push({ serialHex: entry.serialNumber, revokedAt: new Date(entry.revokedAt), reason: (entry.revocationReason ?? 'unspecified') as CrlReason });
        this.revocations.set(entry.issuerId, list);
      }
    }
  }

  static load(dir: string, passphrase: string): DevCertificateAuthority {
    return new DevCertificateAuthority(dir, readDevManifest(dir), passphrase);
  }

  /** The two CAs by id. */
  ca(id: 'root' | 'issuing-ca'): DevSigner {
    return id === 'root' ? this.root : this.issuingCa;
  }

  /** Revocation state of a serial issued by `caId` as known at `now` (revocations dated later are not yet known). */
  status(caId: 'root' | 'issuing-ca', serialHex: string, now: Date): { status: 'good' } | { status: 'revoked'; revokedAt: Date; reason: CrlReason } | { status: 'unknown' } {
    if (!this.issued.get(caId)?.has(serialHex)) return { status: 'unknown' };
    const revoked = (this.revocations.get(caId) ?? []).find((r) => r.serialHex === serialHex && r.revokedAt <= now);
    return revoked ? { status: 'revoked', revokedAt: revoked.revokedAt, reason: revoked.reason } : { status: 'good' };
  }

  /** Revokes a certificate in memory (tests, demos): later OCSP answers and CRLs say so. */
  revoke(caId: 'root' | 'issuing-ca', serialHex: string, revokedAt: Date, reason: CrlReason = 'keyCompromise'): void {
    const list = this.revocations.get(caId) ?? [];
    list.push({ serialHex, revokedAt, reason });
    this.revocations.set(caId, list);
  }

  /** A fresh CRL of `caId` (RFC 5280 §5), valid one day from `now`. */
  async crl(caId: 'root' | 'issuing-ca', now: Date): Promise<Uint8Array> {
    const ca = this.ca(caId);
    const revoked = (this.revocations.get(caId) ?? []).filter((r) => r.revokedAt <= now);
    return issueCrl({ issuer: ca.pkijs, issuerKey: ca.privateKey, thisUpdate: now, nextUpdate: new Date(now.getTime() + 86_400_000), crlNumber: Math.floor(now.getTime() / 1000), revoked });
  }

  /** Certificate DER of a manifest entry. */
  certificate(id: string): Uint8Array {
    const entry = manifestEntry(this.manifest, id);
    return pemBlocks(readFileSync(join(this.dir, entry.files.certificate), 'utf8'), 'CERTIFICATE')[0] as Uint8Array;
  }
}
