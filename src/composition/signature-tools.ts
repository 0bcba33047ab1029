// The signing and verification port of the services over src/pki, and the node's trust layer.
import { createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { DocumentSignatureTools, UnsealedKey } from '../domain/signing-keys.ts';
import type { Clock } from '../domain/vietnam-time.ts';
import { signDetachedCms } from '../pki/cms/signed-data-builder.ts';
import { keyObjectCredentials } from '../pki/cms/signer.ts';
import { devPassphrase } from '../pki/dev/dev-manifest.ts';
import { createDevTrustServices } from '../pki/dev/dev-trust-services.ts';
import { importPkcs12 } from '../pki/keys/signing-key.ts';
import { appendPadesSignature } from '../pki/pades/incremental-signer.ts';
import { createTrustLayer, type TrustLayer } from '../pki/trust/trust-layer.ts';
import { summariseCertificate } from '../pki/verify/certificate-facts.ts';
import { SignatureVerifier } from '../pki/verify/signature-verifier.ts';

/** The node's trust layer; in development mode the dev OCSP/TSA of certs-dev/ are called in-process. */
export function nodeTrustLayer(config: Readonly<Config>, clock: Clock): TrustLayer {
  const devDir = resolve(config.pki.dev.dir);
  const now = () => clock.now();
  const devServices = config.pki.devMode && existsSync(join(devDir, 'manifest.json')) ? createDevTrustServices({ dir: devDir, passphrase: devPassphrase(), clock: now }) : undefined;
  return createTrustLayer(config.pki, { ...(devServices ? { devServices } : {}), clock: now });
}

/** The signing services' cryptography port over src/pki (PKCS#12, PAdES, detached CMS, the verifier). */
export function pkiSignatureTools(layer: TrustLayer, clock: Clock): DocumentSignatureTools {
  const verifier = new SignatureVerifier({ pathValidator: layer.paths, timeStampVerifier: layer.timestamps });
  const credentials = (key: UnsealedKey) => keyObjectCredentials(createPrivateKey({ key: key.privateKeyPkcs8, format: 'der', type: 'pkcs8' }), key.certificate, key.chain);
  return {
    openPkcs12: (bytes, passphrase) => {
      const m = importPkcs12(bytes, passphrase);
      return { privateKeyPkcs8: m.privateKey.export({ type: 'pkcs8', format: 'der' }), certificate: Buffer.from(m.certificate), chain: m.chain.map((c) => Buffer.from(c)) };
    },
    describeCertificate: (der) => {
      const s = summariseCertificate(der);
      return { subject: s.subject, serialNumber: s.serialNumber, notBefore: new Date(s.notBefore), notAfter: new Date(s.notAfter), sha256: s.sha256, ...(s.organId ? { organId: s.organId } : {}) };
    },
    checkCertificate: async (der, chain, kind) => {
      const r = await layer.paths.validate({ signer: der, candidates: chain, at: clock.now(), purpose: kind === 'personal' ? 'personal-signing' : 'organisation-signing' });
      return { ok: r.indication === 'TOTAL_PASSED', message: `${r.indication}${r.subIndication ? `/${r.subIndication}` : ''}: ${r.message}` };
    },
    signPdf: (pdf, key, o) => appendPadesSignature(pdf, { credentials: credentials(key), tsa: layer.tsa, signingTime: o.signingTime, reason: o.reason }),
    signDetached: (sha256, key, at) => signDetachedCms({ contentSha256: sha256, credentials: credentials(key), signingTime: at, tsa: layer.tsa }),
    verifyPdf: (pdf) => verifier.verifyPdf(pdf),
    verifyDetached: (cms, content) => verifier.verifyDetachedCms(cms, content),
  };
}
