import { join } from 'node:path';
import { expect } from 'chai';
import { pkiCommands } from '../../../../src/cli/pki.ts';
import { devDir } from '../../../unit/pki/trust/dev-pki-fixture.ts';

// `edoc-node pki check-cert`: exit codes 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 input error;
// run in-process with the repository's config (dev mode: the dev services are called in-process).

async function run(args: readonly string[]): Promise<{ code: number; out: string }> {
  const command = pkiCommands.find((c) => c.words.join(' ') === 'pki check-cert');
  if (!command) throw new Error('no pki check-cert command');
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => { lines.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { lines.push(a.join(' ')); };
  try {
    return { code: await command.run(args), out: lines.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('pki trust: edoc-node pki check-cert', () => {
  const dev = (p: string): string => join(devDir, p);

  it('a leader certificate → 0 with a Vietnamese verdict line', async () => {
    const { code, out } = await run([dev('agencies/000.00.00.G22/lanhdao.crt.pem')]);
    expect(code, out).to.equal(0);
    expect(out).to.contain('HỢP LỆ (TOTAL_PASSED): CN=Nguyễn Văn An');
  });

  it('the revoked certificate → 1 now, 0 before its revocation', async () => {
    expect((await run([dev('bad/revoked.crt.pem')])).code).to.equal(1);
    expect((await run([dev('bad/revoked.crt.pem'), '--at', '2025-06-01T00:00:00Z'])).code).to.equal(0);
  });

  it('expired → 2; JSON output carries the sub-indication', async () => {
    const { code, out } = await run([dev('bad/expired.crt.pem'), '--json']);
    expect(code).to.equal(2);
    expect(JSON.parse(out)).to.include({ indication: 'INDETERMINATE', subIndication: 'EXPIRED' });
  });

  it('--trust replaces the anchors: the dev leaf is untrusted under the government root → 2', async () => {
    const { code, out } = await run([dev('agencies/000.00.00.G22/organisation.crt.pem'), '--purpose', 'organisation-signing', '--trust', join(devDir, '../config/trust/rootcag2.crt'), '--json']);
    expect(code).to.equal(2);
    expect(JSON.parse(out).subIndication).to.equal('NO_CERTIFICATE_CHAIN_FOUND');
  });

  it('input errors → 3', async () => {
    expect((await run([])).code).to.equal(3);
    expect((await run([dev('bad/expired.crt.pem'), '--purpose', 'anything'])).code).to.equal(3);
    expect((await run([dev('bad/expired.crt.pem'), '--at', 'hôm qua'])).code).to.equal(3);
    expect((await run([dev('no-such-file.pem')])).code).to.equal(3);
  });
});
