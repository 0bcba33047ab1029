// Key sealing at rest (src/services/key-custody-sealing.ts): AES-256-GCM under scrypt(PIN peppered by the
// node secret) or scrypt(node secret), bound to its row by the associated data.
import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import { KeySealer, WrongSecretError } from '../../../src/services/key-custody-sealing.ts';

const cheap = { cost: 1024 };
const secret = 'a node secret of some length';
const pkcs8 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' });
const personal = { keyId: '0b9a4a4e-6a55-4d4c-9f3e-1f6f1d2c3b4a', agencyOrganId: '000.00.00.G22', protection: 'pin' as const };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try { await promise; } catch (error) { return error; }
  throw new Error('expected a rejection');
}

describe('key sealing (custody at rest)', () => {
  it('a personal key opens with its PIN and gives back the same PKCS#8 bytes', async () => {
    const sealer = new KeySealer(secret, cheap);
    const sealed = await sealer.seal(pkcs8, personal, '123456');
    expect(sealed[0]).to.equal(1);
    expect(sealed.includes(pkcs8.subarray(8, 40))).to.equal(false); // not stored in clear
    expect((await sealer.open(sealed, personal, '123456')).equals(pkcs8)).to.equal(true);
  });

  it('a wrong PIN is recognised (GCM tag) and gives nothing', async () => {
    const sealer = new KeySealer(secret, cheap);
    const sealed = await sealer.seal(pkcs8, personal, '123456');
    expect(await rejection(sealer.open(sealed, personal, '123457'))).to.be.instanceOf(WrongSecretError);
  });

  it('the PIN is peppered by the node secret: the right PIN under another node secret fails', async () => {
    const sealed = await new KeySealer(secret, cheap).seal(pkcs8, personal, '123456');
    expect(await rejection(new KeySealer('another node secret!!', cheap).open(sealed, personal, '123456'))).to.be.instanceOf(WrongSecretError);
  });

  it('a sealed key copied onto another row (key id, agency) does not open', async () => {
    const sealer = new KeySealer(secret, cheap);
    const sealed = await sealer.seal(pkcs8, personal, '123456');
    expect(await rejection(sealer.open(sealed, { ...personal, keyId: '5d0f4c57-5b8f-4f43-9d35-0d0a6f7a7a11' }, '123456'))).to.be.instanceOf(WrongSecretError);
    expect(await rejection(sealer.open(sealed, { ...personal, agencyOrganId: '000.00.00.G10' }, '123456'))).to.be.instanceOf(WrongSecretError);
  });

  it('an organisation key opens with the node secret alone', async () => {
    const context = { ...personal, protection: 'node-secret' as const };
    const sealed = await new KeySealer(secret, cheap).seal(pkcs8, context, null);
    expect((await new KeySealer(secret, cheap).open(sealed, context, null)).equals(pkcs8)).to.equal(true);
    expect(await rejection(new KeySealer(`${secret}x`, cheap).open(sealed, context, null))).to.be.instanceOf(WrongSecretError);
  });

  it('refuses a node secret shorter than 16 characters', () => {
    expect(() => new KeySealer('short', cheap)).to.throw(/16 characters/);
  });
});
