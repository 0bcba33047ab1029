// The XML-DSig algorithm allow-list of our profile (XML Signature 1.1 §6; RFC 6931 for the URIs).
// SHA-1 (rsa-sha1, sha1) and inclusive c14n are refused: the vendor SDK still uses them, and such
// packages get a FORMAT_FAILURE report rather than a pass.
export const ALG = {
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  ecdsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
} as const;

export const signatureMethods: Readonly<Record<string, { readonly hash: string; readonly ecdsa: boolean }>> = {
  [ALG.rsaSha256]: { hash: 'sha256', ecdsa: false },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': { hash: 'sha384', ecdsa: false },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': { hash: 'sha512', ecdsa: false },
  [ALG.ecdsaSha256]: { hash: 'sha256', ecdsa: true },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384': { hash: 'sha384', ecdsa: true },
};

export const digestMethods: Readonly<Record<string, string>> = {
  [ALG.sha256]: 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};
