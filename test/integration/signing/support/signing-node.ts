// An HTTP node as test/support/http-node.ts starts it, with cheap key sealing (scrypt N = 1024 instead of
// the configured 32768: the cost protects keys at rest, it is not what these tests are about).
import type { DatabaseKind } from '../../../support/databases.ts';
import { startHttpNode, type HttpNode } from '../../../support/http-node.ts';

/** The node secret the test node seals organisation keys and peppers PINs with. */
export const SIGNING_TEST_SECRET = 'signing tests node secret 0123456789';

export const startSigningNode = (kind: DatabaseKind): Promise<HttpNode> =>
  startHttpNode(kind, {}, {
    configure: (config) => ({ ...config, signing: { ...config.signing, scryptCost: 1024 } }),
    appEnv: { EDOC_KEY_SECRET: SIGNING_TEST_SECRET },
  });
