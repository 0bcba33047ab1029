// The web page (src/http/ui/index.html) calls the API through `api(path, { method })` and `post(path)`:
// every call must name a route and method that the OpenAPI description (and so the server) has.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { openApiDocument } from '../../../src/http/openapi.ts';

const page = readFileSync(new URL('../../../src/http/ui/index.html', import.meta.url), 'utf8');

function callsOfPage(): { method: string; path: string }[] {
  const calls: { method: string; path: string }[] = [];
  for (const m of page.matchAll(/\b(api|post)\(\s*[`'](\/api\/[^`'?]*)[^`']*[`']\s*(?:,\s*\{\s*method:\s*'(\w+)')?/g)) {
    calls.push({ method: (m[1] === 'post' ? 'POST' : m[3] ?? 'GET').toLowerCase(), path: m[2] as string });
  }
  return calls;
}

const routePattern = (path: string): RegExp => new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
const routes = Object.entries(openApiDocument.paths as Record<string, Record<string, unknown>>)
  .flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method, pattern: routePattern(path) })));

describe('web page API calls', () => {
  const calls = callsOfPage();

  it('finds the calls of every flow on the page (login, registration, outgoing, exchange, recall, update, replacement)', () => {
    const paths = calls.map((c) => `${c.method} ${c.path}`);
    for (const expected of ['post /api/auth/login', 'post /api/agencies/${me.organId}/incoming', 'post /api/agencies/${me.organId}/outgoing/${d.id}/send',
      'get /api/agencies/${me.organId}/outgoing/${d.id}/deliveries', 'post /api/agencies/${me.organId}/incoming/${d.id}/accept',
      'post /api/agencies/${me.organId}/exchange/requests/${r.id}/refuse', 'post /api/agencies/${me.organId}/outgoing/${d.id}/recall',
      'post /api/agencies/${me.organId}/outgoing/${d.id}/update', 'post /api/agencies/${me.organId}/outgoing/${d.id}/replace']) {
      expect(paths).to.include(expected);
    }
  });

  it('the page script is valid JavaScript (node --check): a syntax error would leave every flow dead', () => {
    const script = /<script type="module">([\s\S]*?)<\/script>/.exec(page)?.[1];
    expect(script, 'the page has its module script').to.be.a('string');
    const dir = mkdtempSync(join(tmpdir(), 'ui-'));
    try {
      writeFileSync(join(dir, 'page.mjs'), script as string);
      execFileSync(process.execPath, ['--check', join(dir, 'page.mjs')], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every call matches a route and method of the OpenAPI description', () => {
    const unknown = calls.filter((c) => {
      const concrete = c.path.replace(/\$\{[^}]+\}/g, 'x');
      return !routes.some((r) => r.method === c.method && r.pattern.test(concrete));
    });
    expect(unknown).to.deep.equal([]);
  });
});
