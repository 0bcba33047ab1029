// Bad input gets a precise catalogue error and writes nothing.
import { expect } from 'chai';
import { startHttpNode, type HttpNode } from '../../support/http-node.ts';

const VPCP = '000.00.00.G22';
const valid = { origin: 'paper', senderName: 'UBND tỉnh Kon Tum', codeNumber: '12', codeNotation: 'UBND-VP', issuedDate: '2026-11-20', typeName: 'Công văn', subject: 'Về việc thử', priority: 0 };

interface Case { name: string; path?: string; body?: string | Buffer; json?: unknown; headers?: Record<string, string>; status: number; code: string; field?: string; token?: 'none' | 'bad' }

const cases: Case[] = [
  { name: 'missing subject and senderName', json: { ...valid, subject: undefined, senderName: undefined }, status: 400, code: 'request.invalid', field: 'subject' },
  { name: 'empty body', json: {}, status: 400, code: 'request.invalid', field: 'origin' },
  { name: 'ill-typed priority', json: { ...valid, priority: 'high' }, status: 400, code: 'request.invalid', field: 'priority' },
  { name: 'priority out of range', json: { ...valid, priority: 7 }, status: 400, code: 'request.invalid', field: 'priority' },
  { name: 'impossible date', json: { ...valid, issuedDate: '2026-02-30' }, status: 400, code: 'request.invalid', field: 'issuedDate' },
  { name: 'date in the wrong format', json: { ...valid, issuedDate: '20/11/2026' }, status: 400, code: 'request.invalid', field: 'issuedDate' },
  { name: 'unknown origin', json: { ...valid, origin: 'fax' }, status: 400, code: 'request.invalid', field: 'origin' },
  { name: 'unknown extra field', json: { ...valid, arrivalNumber: 1 }, status: 400, code: 'request.invalid' },
  { name: 'oversized subject', json: { ...valid, subject: 'x'.repeat(2001) }, status: 400, code: 'request.invalid', field: 'subject' },
  { name: 'negative page amount', json: { ...valid, pageAmount: -1 }, status: 400, code: 'request.invalid', field: 'pageAmount' },
  { name: 'sender organ id in a wrong format', json: { ...valid, senderOrganId: 'ubnd tinh' }, status: 400, code: 'request.invalid', field: 'senderOrganId' },
  { name: 'malformed JSON', body: '{"origin": "paper",', headers: { 'content-type': 'application/json' }, status: 400, code: 'request.invalid' },
  { name: 'body over the 1 MB limit', body: JSON.stringify({ ...valid, subject: 'x'.repeat(1_100_000) }), headers: { 'content-type': 'application/json' }, status: 413, code: 'request.too_large' },
  { name: 'organ id in a wrong format in the path', path: '/api/agencies/not..an-id/incoming', json: valid, status: 400, code: 'agency.invalid_organ_id' },
  { name: 'an agency that is not ours (unknown)', path: '/api/agencies/000.00.99.H99/incoming', json: valid, status: 403, code: 'auth.other_agency' },
  { name: 'no credentials', json: valid, status: 401, code: 'auth.unauthenticated', token: 'none' },
  { name: 'an invented token', json: valid, status: 401, code: 'auth.session_expired', token: 'bad' },
];

describe('bad input on POST /incoming (HTTP, PGlite)', () => {
  let node: HttpNode;
  let token: string;
  const documentCount = async () => Number((await node.db.database.knex('documents').count('* as n'))[0]?.n);

  before(async () => {
    node = await startHttpNode('pglite', { });
    token = await node.login('vanthu@000.00.00.G22');
  });
  after(async () => { await node.close(); });

  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code}, nothing written`, async () => {
      const before = await documentCount();
      const res = await node.request('POST', c.path ?? `/api/agencies/${VPCP}/incoming`, {
        token: c.token === 'none' ? undefined : c.token === 'bad' ? 'invented' : token, json: c.json, body: c.body, headers: c.headers,
      });
      expect(res.status).to.equal(c.status);
      expect(res.body.error.code).to.equal(c.code);
      expect(res.body.error.messageVi).to.be.a('string').and.not.equal('');
      if (c.field) expect(res.body.error.details.map((d: { field: string }) => d.field)).to.include(c.field);
      expect(await documentCount()).to.equal(before);
      expect(Number((await node.db.database.knex('registers').sum('counter as n'))[0]?.n ?? 0)).to.equal(before);
    });
  }

  it('still registers a valid document afterwards, as số đến 1', async () => {
    const res = await node.request('POST', `/api/agencies/${VPCP}/incoming`, { token, json: valid });
    expect(res.status).to.equal(201);
    expect(res.body.arrivalNumber).to.equal(1);
    expect(res.body.arrivalDate).to.be.a('string');
  });

  it('refuses an attachment larger than the limit before reading it, and stores nothing', async () => {
    const doc = await node.request('GET', `/api/agencies/${VPCP}/documents?direction=incoming`, { token });
    const id = doc.body.items[0].id;
    const big = Buffer.alloc(node.app.config.attachments.maxBytes + 1);
    const res = await node.request('POST', `/api/agencies/${VPCP}/documents/${id}/attachments?fileName=big.pdf`, { token, body: big, headers: { 'content-type': 'application/pdf' } });
    expect(res.status).to.equal(413);
    expect(res.body.error.code).to.equal('attachment.too_large');
    expect(Number((await node.db.database.knex('attachments').count('* as n'))[0]?.n)).to.equal(0);
  });

  it('stores an attachment by its SHA-256 and gives the same bytes back', async () => {
    const doc = await node.request('GET', `/api/agencies/${VPCP}/documents?direction=incoming`, { token });
    const id = doc.body.items[0].id;
    const content = Buffer.from('%PDF-1.7\nbản quét văn bản đến\n');
    const up = await node.request('POST', `/api/agencies/${VPCP}/documents/${id}/attachments?fileName=${encodeURIComponent('bản quét.pdf')}&role=scan`, { token, body: content, headers: { 'content-type': 'application/pdf' } });
    expect(up.status).to.equal(201);
    expect(up.body.sha256).to.equal((await import('node:crypto')).createHash('sha256').update(content).digest('hex'));
    expect(up.body.size).to.equal(content.length);
    const down = await fetch(`${node.base}/api/agencies/${VPCP}/documents/${id}/attachments/${up.body.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(Buffer.from(await down.arrayBuffer()).equals(content)).to.equal(true);
    expect(down.headers.get('content-type')).to.equal('application/pdf');
    const badName = await node.request('POST', `/api/agencies/${VPCP}/documents/${id}/attachments?fileName=..%2F..%2Fetc%2Fpasswd`, { token, body: content });
    expect(badName.body.error.code).to.equal('attachment.invalid_name');
  });
});
