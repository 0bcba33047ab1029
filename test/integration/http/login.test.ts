import { expect } from 'chai';
import { startHttpNode, type HttpNode } from '../../support/http-node.ts';
import { TEST_PASSWORD } from '../../support/network.ts';

describe('log in, sessions and lock-out (HTTP, PostgreSQL)', () => {
  let node: HttpNode;
  before(async () => { node = await startHttpNode('postgres', { }); });
  after(async () => { await node.close(); });

  it('gives a bearer token for the API and a cookie session for the UI; logout ends it', async () => {
    const bearer = await node.request('POST', '/api/auth/login', { json: { username: 'lanhdao@000.00.00.G10', password: TEST_PASSWORD } });
    expect(bearer.status).to.equal(200);
    expect(bearer.body.user).to.deep.include({ organId: '000.00.00.G10', roles: ['lanh_dao'] });
    const me = await node.request('GET', '/api/auth/me', { token: bearer.body.token });
    expect(me.body.username).to.equal('lanhdao@000.00.00.G10');
    const stored = await node.db.database.knex('sessions').select('token_hash');
    expect(stored.map((s) => s.token_hash)).not.to.include(bearer.body.token); // only the SHA-256 is kept

    const cookie = await node.request('POST', '/api/auth/login?session=cookie', { json: { username: 'vanthu@000.00.00.G10', password: TEST_PASSWORD } });
    const setCookie = cookie.headers.get('set-cookie') ?? '';
    expect(setCookie).to.match(/^edoc_session=[^;]+;.*HttpOnly/i).and.match(/SameSite=Strict/i);
    const viaCookie = await node.request('GET', '/api/auth/me', { headers: { cookie: setCookie.split(';')[0] as string } });
    expect(viaCookie.body.username).to.equal('vanthu@000.00.00.G10');

    await node.request('POST', '/api/auth/logout', { token: bearer.body.token });
    const after = await node.request('GET', '/api/auth/me', { token: bearer.body.token });
    expect(after.status).to.equal(401);
  });

  it('locks an account after 10 wrong passwords until a quản trị enables it again, and audits the lock', async () => {
    const username = 'chuyenvien@000.00.00.G10';
    for (let i = 0; i < 10; i += 1) {
      const wrong = await node.request('POST', '/api/auth/login', { json: { username, password: `sai-${i}` } });
      expect(wrong.body.error.code).to.equal('auth.invalid_credentials');
    }
    const locked = await node.request('POST', '/api/auth/login', { json: { username, password: TEST_PASSWORD } });
    expect(locked.status).to.equal(403);
    expect(locked.body.error.code).to.equal('auth.account_disabled');
    const user = await node.db.database.knex('users').where({ username }).first();
    const entries = await node.db.database.knex('audit_log').where({ chain: '000.00.00.G10' }).select('entry');
    expect(entries.map((e) => JSON.parse(e.entry)).some((e) => e.action === 'user.locked' && e.subject.id === user.id)).to.equal(true);

    const admin = await node.login('quantri@000.00.00.G10');
    expect((await node.request('POST', `/api/agencies/000.00.00.G10/users/${user.id}/enable`, { token: admin })).status).to.equal(204);
    const again = await node.request('POST', '/api/auth/login', { json: { username, password: TEST_PASSWORD } });
    expect(again.status).to.equal(200);
  });

  it('answers an unknown user exactly like a wrong password', async () => {
    const res = await node.request('POST', '/api/auth/login', { json: { username: 'khongco@000.00.00.G10', password: 'x' } });
    expect(res.status).to.equal(401);
    expect(res.body.error.code).to.equal('auth.invalid_credentials');
  });

  it('serves the OpenAPI description and a health answer with the database state', async () => {
    const spec = await node.request('GET', '/api/openapi.json');
    expect(spec.body.openapi).to.equal('3.1.0');
    expect(Object.keys(spec.body.paths)).to.include.members(['/health', '/api/auth/login', '/api/agencies/{organId}/incoming', '/api/agencies/{organId}/outgoing/{id}/issue', '/api/agencies/{organId}/registers/{direction}']);
    const health = await node.request('GET', '/health');
    expect(health.status).to.equal(200);
    expect(health.body).to.deep.include({ status: 'ok' });
    expect(health.body.database).to.deep.equal({ status: 'ok', kind: 'postgres' });
  });
});
