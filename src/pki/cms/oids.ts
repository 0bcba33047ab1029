// Object identifiers of the CMS profile (RFC 5652, RFC 5035, RFC 3161, RFC 8017, RFC 5758).
export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12', // ESS v1 (SHA-1): accepted when verifying others' CMS
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47', // RFC 5035
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14', // RFC 3161 appendix A
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecPublicKey: '1.2.840.10045.2.1',
} as const;

/** Digest algorithms allowed when verifying (SHA-1 is refused: ETSI TS 119 312). */
export const allowedDigests: Readonly<Record<string, 'sha256' | 'sha384' | 'sha512'>> = {
  [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512',
};

/** Signature algorithms allowed when verifying, with the digest they imply (undefined: the SignerInfo's). */
export const allowedSignatureAlgorithms: Readonly<Record<string, { readonly digest?: 'sha256' | 'sha384' | 'sha512' }>> = {
  [OID.rsaEncryption]: {}, [OID.sha256WithRSA]: { digest: 'sha256' }, [OID.sha384WithRSA]: { digest: 'sha384' },
  [OID.sha512WithRSA]: { digest: 'sha512' }, [OID.ecdsaWithSha256]: { digest: 'sha256' }, [OID.ecdsaWithSha384]: { digest: 'sha384' },
};
