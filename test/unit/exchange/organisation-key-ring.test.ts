// The node's organisation keys follow key custody: a rotated or retired key is replaced in use without a
// restart, and custody's secret is opened only when the active key changed.
import { expect } from 'chai';
import { OrganisationKeyRing, type OrganisationKeySource } from '../../../src/services/organisation-key-ring.ts';

const ORGAN = '000.00.00.G22';

class FakeCustody implements OrganisationKeySource<string> {
  active: string | null = 'key-1';
  devFallback = false;
  loads = 0;
  async activeKeyId(): Promise<string | null> { return this.active; }
  async load(): Promise<{ keyId: string | null; credentials: string } | undefined> {
    this.loads += 1;
    if (this.active) return { keyId: this.active, credentials: `credentials of ${this.active}` };
    return this.devFallback ? { keyId: null, credentials: 'dev files' } : undefined;
  }
}

describe('OrganisationKeyRing', () => {
  it('signs with the active key, and with the new one after a rotation', async () => {
    const custody = new FakeCustody();
    const ring = new OrganisationKeyRing(custody);
    await ring.load(ORGAN);
    expect(ring.credentials(ORGAN)).to.equal('credentials of key-1');
    expect(await ring.refresh(ORGAN)).to.equal(false);
    expect(custody.loads).to.equal(1); // unchanged: nothing unsealed again
    custody.active = 'key-2';
    expect(await ring.refresh(ORGAN)).to.equal(true);
    expect(ring.credentials(ORGAN)).to.equal('credentials of key-2');
    expect(custody.loads).to.equal(2);
  });

  it('stops signing with a retired key that has no successor (or falls back to the development files)', async () => {
    const custody = new FakeCustody();
    const ring = new OrganisationKeyRing(custody);
    await ring.load(ORGAN);
    custody.active = null;
    expect(await ring.refresh(ORGAN)).to.equal(true);
    expect(ring.credentials(ORGAN)).to.equal(undefined);
    expect(await ring.refresh(ORGAN)).to.equal(false);

    custody.devFallback = true;
    await ring.load(ORGAN);
    expect(ring.credentials(ORGAN)).to.equal('dev files');
    expect(await ring.refresh(ORGAN)).to.equal(false); // custody still has none: the files stay
    custody.active = 'key-3'; // a key imported into custody supersedes the files
    expect(await ring.refresh(ORGAN)).to.equal(true);
    expect(ring.credentials(ORGAN)).to.equal('credentials of key-3');
  });
});
