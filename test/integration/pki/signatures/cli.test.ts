// `edoc-node sign` and `edoc-node verify` (issue 3 item 7) with the dev PKI: forms, exit codes
// (0 passed, 1 failed, 2 indeterminate, 3 input error), the Vietnamese summary, --json, --directory,
// --at with --evidence. Commands run in-process (fast); one run goes through bin/edoc-node.js.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../../../../src/cli/main.ts';
import { devPassphrase } from '../../../../src/pki/dev/dev-manifest.ts';
import { samplePdf } from '../../../unit/pki/signatures/support/sample-pdf.ts';
import { devFile, repoDir } from './support/dev-trust.ts';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try {
    return { code: await runCli(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('edoc-node sign / verify (CLI)', function () {
  this.timeout(60_000);
  let dir: string;
  const p = (name: string): string => join(dir, name);
  const g22 = 'agencies/000.00.00.G22';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'edoc-cli-sig-'));
    process.env.EDOC_TEST_SIGN_PASS = devPassphrase();
    writeFileSync(p('package.edxml'), readFileSync(join(repoDir, 'test/fixtures/pki/envelope-g22.edxml')));
    writeFileSync(p('document.pdf'), samplePdf());
    writeFileSync(p('attachment.txt'), 'Danh sách kèm theo\n'.repeat(100));
    writeFileSync(p('directory-g22.json'), JSON.stringify({ agencies: [{ organId: '000.00.00.G22' }] }));
    writeFileSync(p('directory-h53.json'), JSON.stringify({ agencies: [{ organId: '000.00.00.H53' }] }));
  });
  after(() => { delete process.env.EDOC_TEST_SIGN_PASS; });

  it('signs an envelope with the agency PKCS#12 and verifies it: 0, Vietnamese summary; directory match and mismatch', async () => {
    const signed = await cli('sign', 'envelope', '--key', devFile(`${g22}/organisation.p12`), '--pass-env', 'EDOC_TEST_SIGN_PASS', '--in', p('package.edxml'), '--out', p('signed.edxml'));
    expect(signed.code, signed.err).to.equal(0);
    const ok = await cli('verify', p('signed.edxml'));
    expect(ok.code, ok.out).to.equal(0);
    expect(ok.out).to.match(/^\(gói tin edXML\): Chữ ký số hợp lệ\. \[TOTAL_PASSED\] — người ký: .*Văn phòng Chính phủ.* — cơ quan gửi: chưa kiểm tra$/);
    expect((await cli('verify', p('signed.edxml'), '--directory', p('directory-g22.json'))).out).to.match(/cơ quan gửi: khớp/);
    const mismatch = await cli('verify', p('signed.edxml'), '--directory', p('directory-h53.json'), '--json');
    expect(mismatch.code).to.equal(1);
    const json = JSON.parse(mismatch.out) as { indication: string; reports: Array<{ subIndication: string; organisationCheck: { status: string } }> };
    expect([json.indication, json.reports[0]?.subIndication, json.reports[0]?.organisationCheck.status]).to.deep.equal(['TOTAL_FAILED', 'SIG_CONSTRAINTS_FAILURE', 'mismatched']);
  });

  it('signs a PDF twice (leader, then agency, encrypted PEM keys) with time-stamps; verify reports both', async () => {
    const leader = await cli('sign', 'pdf', '--key', devFile(`${g22}/lanhdao.key.pem`), '--cert', devFile(`${g22}/lanhdao.crt.pem`), '--chain', devFile('ca/issuing-ca.crt.pem'),
      '--pass-env', 'EDOC_TEST_SIGN_PASS', '--in', p('document.pdf'), '--out', p('leader.pdf'));
    expect(leader.code, leader.err).to.equal(0);
    const agency = await cli('sign', 'pdf', '--key', devFile(`${g22}/organisation.p12`), '--pass-env', 'EDOC_TEST_SIGN_PASS', '--in', p('leader.pdf'), '--out', p('signed.pdf'));
    expect(agency.code, agency.err).to.equal(0);
    const v = await cli('verify', p('signed.pdf'));
    expect(v.code, v.out).to.equal(0);
    expect(v.out.split('\n')).to.have.length(2);
    expect(v.out).to.match(/^Chữ ký 1 \(văn bản PDF\): Chữ ký số hợp lệ\..*Nguyễn Văn An.*dấu thời gian: /m);
    expect(v.out).to.match(/^Chữ ký 2 \(văn bản PDF\): Chữ ký số hợp lệ\..*Văn phòng Chính phủ/m);
  });

  it('signs a detached CMS; verify needs --content (3), passes (0), fails on other content (1)', async () => {
    expect((await cli('sign', 'cms', '--key', devFile(`${g22}/organisation.p12`), '--pass-env', 'EDOC_TEST_SIGN_PASS', '--in', p('attachment.txt'), '--out', p('attachment.p7s'))).code).to.equal(0);
    expect((await cli('verify', p('attachment.p7s'))).code).to.equal(3);
    expect((await cli('verify', p('attachment.p7s'), '--content', p('attachment.txt'))).code).to.equal(0);
    writeFileSync(p('other.txt'), 'khác');
    const failed = await cli('verify', p('attachment.p7s'), '--content', p('other.txt'));
    expect(failed.code).to.equal(1);
    expect(failed.out).to.match(/nội dung đã bị thay đổi sau khi ký/);
  });

  it('an untrusted signer is INDETERMINATE (2); --trust with a foreign root makes the agency untrusted too', async () => {
    expect((await cli('sign', 'envelope', '--key', devFile('bad/untrusted.p12'), '--pass-env', 'EDOC_TEST_SIGN_PASS', '--in', p('package.edxml'), '--out', p('untrusted.edxml'))).code).to.equal(0);
    expect((await cli('verify', p('untrusted.edxml'))).code).to.equal(2);
    expect((await cli('verify', p('signed.edxml'), '--trust', devFile('bad/untrusted-root.crt.pem'))).code).to.equal(2);
  });

  it('long-term: --at after the certificate expired passes with the time-stamp and the stored evidence', async () => {
    const first = await cli('verify', p('attachment.p7s'), '--content', p('attachment.txt'), '--json');
    expect(first.code).to.equal(0);
    writeFileSync(p('report.json'), first.out);
    const later = await cli('verify', p('attachment.p7s'), '--content', p('attachment.txt'), '--at', '2046-06-01T00:00:00Z', '--evidence', p('report.json'), '--json');
    expect(later.code, later.out).to.equal(0);
    const report = (JSON.parse(later.out) as { reports: Array<{ validationTime: string; bestSignatureTime: string }> }).reports[0];
    expect(report?.validationTime).to.equal('2046-06-01T00:00:00.000Z');
    expect(report?.bestSignatureTime).to.equal((JSON.parse(first.out) as { reports: Array<{ bestSignatureTime: string }> }).reports[0]?.bestSignatureTime);
  });

  it('input errors exit 3: unknown form, missing passphrase variable, wrong passphrase, unreadable file, bad --at', async () => {
    expect((await cli('sign', 'docx', '--key', 'k', '--pass-env', 'X', '--in', 'a', '--out', 'b')).code).to.equal(3);
    expect((await cli('sign', 'envelope', '--key', devFile(`${g22}/organisation.p12`), '--pass-env', 'EDOC_NO_SUCH_VARIABLE', '--in', p('package.edxml'), '--out', p('x.edxml'))).code).to.equal(3);
    process.env.EDOC_TEST_WRONG_PASS = 'wrong';
    const wrong = await cli('sign', 'envelope', '--key', devFile(`${g22}/organisation.p12`), '--pass-env', 'EDOC_TEST_WRONG_PASS', '--in', p('package.edxml'), '--out', p('x.edxml'));
    delete process.env.EDOC_TEST_WRONG_PASS;
    expect(wrong.code).to.equal(3);
    expect((await cli('verify', p('does-not-exist.pdf'))).code).to.equal(3);
    writeFileSync(p('junk.bin'), 'junk');
    expect((await cli('verify', p('junk.bin'))).code).to.equal(3);
    expect((await cli('verify', p('signed.edxml'), '--at', 'yesterday')).code).to.equal(3);
  });

  it('the installed entry point propagates the exit code (bin/edoc-node.js)', () => {
    const r = spawnSync(process.execPath, [join(repoDir, 'bin/edoc-node.js'), 'verify', p('signed.edxml'), '--directory', p('directory-h53.json')], { cwd: repoDir, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stdout).to.match(/Chữ ký số không hợp lệ: cơ quan ký không phải cơ quan gửi/);
  });
});
