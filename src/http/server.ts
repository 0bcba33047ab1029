// The express application: health, OpenAPI, auth, the agency API and the web UI. Only the error
// handler (error-status.ts) knows status codes.
import { readFileSync } from 'node:fs';
import express, { type Express } from 'express';
import { DomainError } from '../domain/errors.ts';
import type { HttpDependencies } from './dependencies.ts';
import { errorHandler } from './error-status.ts';
import { openApiDocument } from './openapi.ts';
import { agencyRoutes } from './routes/agency.ts';
import { authRoutes } from './routes/auth.ts';

export function createHttpApp(deps: HttpDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });

  app.get('/health', async (_req, res) => {
    const health = await deps.health();
    res.status(health.status === 'ok' ? 200 : 503).json(health);
  });
  app.get('/api/openapi.json', (_req, res) => { res.json(openApiDocument); });
  app.get('/api/docs', (_req, res) => {
    res.type('html').send(`<!doctype html><meta charset="utf-8"><title>edoc-node API</title><h1>edoc-node API</h1><p>OpenAPI 3.1: <a href="/api/openapi.json">/api/openapi.json</a></p><pre>${Object.entries(openApiDocument.paths).map(([p, ops]) => `${Object.keys(ops).map((m) => m.toUpperCase()).join(', ').padEnd(10)} ${p}`).join('\n')}</pre>`);
  });
  app.use('/api/auth', express.json({ limit: '16kb' }), authRoutes(deps));
  app.use('/api/agencies/:organId', agencyRoutes(deps));

  const page = readFileSync(new URL('./ui/index.html', import.meta.url), 'utf8');
  app.get('/', (_req, res) => { res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"); res.type('html').send(page); });

  app.use(() => { throw new DomainError('request.not_found'); });
  app.use(errorHandler(deps.log));
  return app;
}
