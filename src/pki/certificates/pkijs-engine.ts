import { webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';

let installed = false;

/** pkijs needs a crypto engine (STACK.md): Node's WebCrypto, installed on first use, never at import time. */
export function usePkijsWithNodeCrypto(): void {
  if (installed) return;
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto }));
  installed = true;
}
