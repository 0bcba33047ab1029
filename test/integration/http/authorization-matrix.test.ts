// Every role × every route × own agency / other agency → allowed or 403, as a table.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { demoUsername } from '../../../src/domain/demo-network.ts';
import type { Role } from '../../../src/domain/roles.ts';
import { startHttpNode, type HttpNode } from '../../support/http-node.ts';

const OWN = '000.00.00.H53';
const OTHER = '000.00.00.G22';
const V = 'van_thu', L = 'lanh_dao', C = 'chuyen_vien', Q = 'quan_tri';
const ALL: Role[] = [V, L, C, Q];

interface Fixture { incomingId: string; draftId: () => Promise<string> }
/** `authorizedOnly`: the fixture is in a state the action refuses (e.g. a paper document has nothing to accept; this
 * node has no directory, so the exchange fails closed with 503), so an allowed role gets that refusal (4xx other
 * than 401/403, or 503) and a forbidden one 403. */
interface Route { name: string; allowed: Role[]; authorizedOnly?: boolean; call(node: HttpNode, organId: string, token: string, f: Fixture, role: Role): Promise<number> }

let counter = 0;
const paper = { origin: 'paper', senderName: 'UBND tỉnh Kon Tum', codeNumber: '12', codeNotation: 'UBND-VP', issuedDate: '2026-11-20', typeName: 'Công văn', subject: 'Thử phân quyền', priority: 0 };

// The expected matrix, written out (not derived from src/domain/roles.ts, so that a wrong table fails).
const routes: Route[] = [
  { name: 'GET documents', allowed: ALL, call: async (n, o, t) => (await n.request('GET', `/api/agencies/${o}/documents`, { token: t })).status },
  { name: 'GET documents/{id}', allowed: ALL, call: async (n, o, t, f) => (await n.request('GET', `/api/agencies/${o}/documents/${f.incomingId}`, { token: t })).status },
  { name: 'POST incoming', allowed: [V], call: async (n, o, t) => (await n.request('POST', `/api/agencies/${o}/incoming`, { token: t, json: paper })).status },
  { name: 'POST outgoing', allowed: [V, L, C], call: async (n, o, t) => (await n.request('POST', `/api/agencies/${o}/outgoing`, { token: t, json: { typeName: 'Quyết định', subject: 'x', priority: 0 } })).status },
  { name: 'POST outgoing/{id}/issue', allowed: [V], call: async (n, o, t, f) => (await n.request('POST', `/api/agencies/${o}/outgoing/${await f.draftId()}/issue`, { token: t })).status },
  { name: 'POST documents/{id}/assignments', allowed: [L], call: async (n, o, t, f) => (await n.request('POST', `/api/agencies/${o}/documents/${f.incomingId}/assignments`, { token: t, json: { assignments: [{ kind: 'de_biet', userId: (await n.db.database.knex('users').where({ username: demoUsername('chuyen_vien', o) }).first()).id }] } })).status },
  { name: 'POST documents/{id}/attachments', allowed: [V, L, C], call: async (n, o, t, f) => (await n.request('POST', `/api/agencies/${o}/documents/${f.incomingId}/attachments?fileName=scan.pdf&role=scan`, { token: t, body: '%PDF-1.7 test', headers: { 'content-type': 'application/pdf' } })).status },
  { name: 'GET documents/{id}/attachments', allowed: ALL, call: async (n, o, t, f) => (await n.request('GET', `/api/agencies/${o}/documents/${f.incomingId}/attachments`, { token: t })).status },
  { name: 'GET registers/incoming', allowed: [V, L, Q], call: async (n, o, t) => (await n.request('GET', `/api/agencies/${o}/registers/incoming?year=2026&format=csv`, { token: t })).status },
  { name: 'GET registers/outgoing', allowed: [V, L, Q], call: async (n, o, t) => (await n.request('GET', `/api/agencies/${o}/registers/outgoing?year=2026&format=html`, { token: t })).status },
  { name: 'GET users', allowed: [Q], call: async (n, o, t) => (await n.request('GET', `/api/agencies/${o}/users`, { token: t })).status },
  { name: 'POST users', allowed: [Q], call: async (n, o, t) => (await n.request('POST', `/api/agencies/${o}/users`, { token: t, json: { username: `nguoidung${(counter += 1)}@${o}`.toLowerCase(), fullName: 'Người dùng thử', roles: ['chuyen_vien'], password: 'mat-khau-dai-du' } })).status },
  { name: 'GET audit', allowed: [Q], call: async (n, o, t) => (await n.request('GET', `/api/agencies/${o}/audit`, { token: t })).status },
  // Exchange over the axis.
  { name: 'POST outgoing/{id}/send', allowed: [V], authorizedOnly: true, call: async (n, o, t, f) => (await n.request('POST', `/api/agencies/${o}/outgoing/${await f.draftId()}/send`, { token: t })).status },
  { name: 'GET outgoing/{id}/deliveries', allowed: ALL, call: async (n, o, t, f) => (await n.request('GET', `/api/agencies/${o}/outgoing/${await f.draftId()}/deliveries`, { token: t })).status },
  { name: 'POST outgoing/{id}/recall', allowed: [V], authorizedOnly: true, call: async (n, o, t, f) => (await n.request('POST', `/api/agencies/${o}/outgoing/${await f.draftId()}/recall`, { token: t, json: { reason: 'thử' } })).status },
  { name: 'POST outgoing/{id}/update', allowed: [V], authorizedOnly: true, call: async (n, o, t, f) => (await n.request('POST', `/api/agencies/${o}/outgoing/${await f.draftId()}/update`, { token: t, json: { reason: 'thử', metadata: { subject: 'mới' } } })).status },
  { name: 'POST incoming/{id}/accept', allowed: [V], authorizedOnly: true, call: async (n, o, t, f) => (await n.request('POST', `/api/agencies/${o}/incoming/${f.incomingId}/accept`, { token: t })).status },
  { name: 'POST incoming/{id}/return', allowed: [V], authorizedOnly: true, call: async (n, o, t, f) => (await n.request('POST', `/api/agencies/${o}/incoming/${f.incomingId}/return`, { token: t, json: { reason: 'thử' } })).status },
  { name: 'GET exchange/requests', allowed: [V], call: async (n, o, t) => (await n.request('GET', `/api/agencies/${o}/exchange/requests`, { token: t })).status },
  { name: 'GET exchange/quarantine', allowed: [V, Q], call: async (n, o, t) => (await n.request('GET', `/api/agencies/${o}/exchange/quarantine`, { token: t })).status },
  { name: 'POST exchange/quarantine/reprocess', allowed: [V, Q], authorizedOnly: true, call: async (n, o, t) => (await n.request('POST', `/api/agencies/${o}/exchange/quarantine/reprocess`, { token: t })).status },
  { name: 'POST exchange/quarantine/{id}/reprocess', allowed: [V, Q], authorizedOnly: true, call: async (n, o, t) => (await n.request('POST', `/api/agencies/${o}/exchange/quarantine/${randomUUID()}/reprocess`, { token: t })).status },
  { name: 'POST outgoing/{id}/retry', allowed: [V], authorizedOnly: true, call: async (n, o, t, f) => (await n.request('POST', `/api/agencies/${o}/outgoing/${await f.draftId()}/retry`, { token: t })).status },
  { name: 'GET exchange/outbox/failed', allowed: [V, Q], call: async (n, o, t) => (await n.request('GET', `/api/agencies/${o}/exchange/outbox/failed`, { token: t })).status },
  { name: 'POST exchange/outbox/retry', allowed: [V, Q], authorizedOnly: true, call: async (n, o, t) => (await n.request('POST', `/api/agencies/${o}/exchange/outbox/retry`, { token: t })).status },
  { name: 'GET documents/{id}/metadata-history', allowed: ALL, call: async (n, o, t, f) => (await n.request('GET', `/api/agencies/${o}/documents/${f.incomingId}/metadata-history`, { token: t })).status },
  // Signatures and keys.
  { name: 'GET keys', allowed: [V, L, Q], call: async (n, o, t) => (await n.request('GET', `/api/agencies/${o}/keys`, { token: t })).status },
  { name: 'GET documents/{id}/signatures', allowed: ALL, call: async (n, o, t, f) => (await n.request('GET', `/api/agencies/${o}/documents/${f.incomingId}/signatures`, { token: t })).status },
];

describe('authorisation matrix (HTTP, PostgreSQL)', function () {
  let node: HttpNode;
  const fixtures = new Map<string, Fixture>();

  before(async () => {
    node = await startHttpNode('postgres');
    for (const organId of [OWN, OTHER]) {
      const clerk = await node.login(demoUsername('van_thu', organId));
      const leader = await node.login(demoUsername('lanh_dao', organId));
      const incoming = await node.request('POST', `/api/agencies/${organId}/incoming`, { token: clerk, json: paper });
      fixtures.set(organId, {
        incomingId: incoming.body.id,
        draftId: async () => (await node.request('POST', `/api/agencies/${organId}/outgoing`, { token: leader, json: { typeName: 'Quyết định', subject: 'dự thảo', priority: 0 } })).body.id,
      });
    }
  });
  after(async () => { await node.close(); });

  for (const route of routes) {
    for (const role of ALL) {
      for (const target of ['own', 'other'] as const) {
        const allowed = target === 'own' && route.allowed.includes(role);
        it(`${route.name.padEnd(32)} ${role.padEnd(12)} ${target.padEnd(5)} → ${allowed ? 'allowed' : '403'}`, async () => {
          const organId = target === 'own' ? OWN : OTHER;
          const status = await route.call(node, organId, await node.login(demoUsername(role, OWN)), fixtures.get(organId) as Fixture, role);
          if (allowed && route.authorizedOnly) expect(status, 'allowed, refused for the fixture\'s state').to.be.within(400, 503).and.not.be.oneOf([401, 403, 500, 501, 502]);
          else if (allowed) expect(status, 'allowed').to.be.within(200, 299);
          else expect(status).to.equal(403);
        });
      }
    }
  }
});
