// A throwaway PKI, a verifier trusting it (fake path validation and time-stamps) and the organisation's
// signing credentials, made in a `before` hook of the calling suite (not a test file itself).
import type { SigningCredentials } from '../../../../../src/pki/cms/signer.ts';
import { keyObjectCredentials } from '../../../../../src/pki/cms/signer.ts';
import { SignatureVerifier } from '../../../../../src/pki/verify/signature-verifier.ts';
import { FakePathValidator, FakeTimeStampVerifier } from './fakes.ts';
import { createThrowawayPki, type ThrowawayPki } from './throwaway-pki.ts';

export interface EnvelopeSetup {
  pki: ThrowawayPki;
  verifier: SignatureVerifier;
  /** The organisation certificate's credentials (chain: the issuing CA). */
  org(): SigningCredentials;
}

export function envelopeSetup(): EnvelopeSetup {
  const setup = { org: () => keyObjectCredentials(setup.pki.org.key, setup.pki.org.der, [setup.pki.ca.der]) } as EnvelopeSetup;
  before(() => {
    setup.pki = createThrowawayPki();
    setup.verifier = new SignatureVerifier({ pathValidator: new FakePathValidator({ anchors: [setup.pki.root.der], intermediates: [setup.pki.ca.der] }), timeStampVerifier: new FakeTimeStampVerifier() });
  });
  return setup;
}
