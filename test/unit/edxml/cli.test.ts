// `edoc-node edxml parse` and `edxml build`, run in-process through the dispatcher (exit codes 0 / 3 / 2).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../../../src/cli/main.ts';

const fixture = (name: string): string => new URL(`../../../../shared/fixtures/edxml-vendor/${name}`, import.meta.url).pathname;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await runCli(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('edoc-node edxml', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'edxml-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parse prints the model and the warnings (exit 0)', async () => {
    const r = await run(['edxml', 'parse', fixture('01_edoc_new.edxml')]);
    expect(r.code).to.equal(0);
    expect(r.out).to.include('document 74fass22/VPCP-TTĐT of 2019-01-16, Công văn');
    expect(r.out).to.include('attachment 209: 1896_QD-TTg_m_294779.doc, 388347 bytes (zip)');
    expect(r.out).to.include('warning signature_namespace');
  });

  it('parse --json, then build --from that JSON, gives a package that parses to the same status', async () => {
    const parsed = await run(['edxml', 'parse', fixture('status/status_cancellation_13.edxml'), '--json']);
    expect(parsed.code).to.equal(0);
    const json = JSON.parse(parsed.out);
    expect(json.status.statusCode).to.equal('13');
    writeFileSync(join(dir, 'status.json'), parsed.out);
    const built = await run(['edxml', 'build', '--from', join(dir, 'status.json'), '--out', join(dir, 'status.edxml')]);
    expect(built.code, built.err).to.equal(0);
    const again = await run(['edxml', 'parse', join(dir, 'status.edxml'), '--json']);
    expect(JSON.parse(again.out).status).to.deep.equal(json.status);
  });

  it('build takes attachments by path relative to the JSON file', async () => {
    writeFileSync(join(dir, 'cv.pdf'), '%PDF-1.7 test');
    const doc = JSON.parse(readFileSync(new URL('../../fixtures/edxml/document.json', import.meta.url), 'utf8'));
    writeFileSync(join(dir, 'doc.json'), JSON.stringify({ ...doc, attachments: [{ name: 'cv.pdf', contentType: 'application/pdf', path: 'cv.pdf' }] }));
    const built = await run(['edxml', 'build', '--from', join(dir, 'doc.json'), '--out', join(dir, 'doc.edxml')]);
    expect(built.code, built.err).to.equal(0);
    const parsed = await run(['edxml', 'parse', join(dir, 'doc.edxml'), '--json']);
    const json = JSON.parse(parsed.out);
    expect(json.header.subject).to.equal('V/v kiểm thử dòng lệnh edXML');
    expect(json.attachments[0]).to.deep.include({ name: 'cv.pdf', size: 13, transferEncoding: 'zip' });
  });

  it('exits 3 with the catalogue code for an invalid package or JSON, 2 for a missing file', async () => {
    writeFileSync(join(dir, 'xxe.edxml'), '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>');
    const xxe = await run(['edxml', 'parse', join(dir, 'xxe.edxml')]);
    expect(xxe.code).to.equal(3);
    expect(xxe.err).to.match(/^edxml\.dtd_forbidden: /);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ header: { subject: '' } }));
    const bad = await run(['edxml', 'build', '--from', join(dir, 'bad.json'), '--out', join(dir, 'x.edxml')]);
    expect(bad.code).to.equal(3);
    expect(bad.err).to.include('request.invalid');
    expect(bad.err).to.include('header.from');
    expect((await run(['edxml', 'parse', join(dir, 'nope.edxml')])).code).to.equal(2);
  });
});
