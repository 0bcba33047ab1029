// /api/agencies/{organId}/… — thin handlers: validate → call the service (which authorises) → present.
import express, { Router, type Request } from 'express';
import type { DocumentStatus } from '../../domain/document.ts';
import { DomainError } from '../../domain/errors.ts';
import { actorOfResponse, requireActor } from '../authentication.ts';
import type { HttpDependencies } from '../dependencies.ts';
import { presentAttachment, presentDocument, presentWarning } from '../presenters/document.ts';
import { registerBookCsv, registerBookHtml } from '../presenters/register-book.ts';
import { signingRoutes } from './signing.ts';
import { exchangeRoutes } from './exchange.ts';
import { assignmentBody, incomingBody, listQuery, outgoingBody, parseInput, parseOrganIdParam, registerQuery, userBody } from '../schemas.ts';

const organIdOf = (req: Request): string => parseOrganIdParam(req.params.organId);
const idOf = (req: Request, name = 'id'): string => {
  const value = req.params[name];
  if (typeof value !== 'string' || !/^[0-9a-f-]{36}$/i.test(value)) throw new DomainError('registry.document_not_found');
  return value;
};

export function agencyRoutes(deps: HttpDependencies): Router {
  const router = Router({ mergeParams: true });
  const json = express.json({ limit: deps.bodyLimitBytes, strict: true });
  router.use(requireActor(deps.auth));

  router.get('/documents', async (req, res) => {
    const q = parseInput(listQuery, req.query);
    const docs = await deps.registry.listDocuments(actorOfResponse(res.locals), organIdOf(req), { ...q, status: q.status as DocumentStatus | undefined });
    res.json({ items: docs.map(presentDocument), limit: q.limit, offset: q.offset });
  });

  router.get('/documents/:id', async (req, res) => {
    const doc = await deps.registry.getDocument(actorOfResponse(res.locals), organIdOf(req), idOf(req));
    res.json(presentDocument(doc));
  });

  router.post('/incoming', json, async (req, res) => {
    const organId = organIdOf(req);
    const input = parseInput(incomingBody, req.body);
    const { document, warnings } = await deps.registry.registerIncoming(actorOfResponse(res.locals), organId, input);
    res.status(201).location(`/api/agencies/${organId}/documents/${document.id}`).json({ ...presentDocument(document), warnings: warnings.map(presentWarning) });
  });

  router.post('/outgoing', json, async (req, res) => {
    const organId = organIdOf(req);
    const document = await deps.registry.draftOutgoing(actorOfResponse(res.locals), organId, parseInput(outgoingBody, req.body));
    res.status(201).location(`/api/agencies/${organId}/documents/${document.id}`).json(presentDocument(document));
  });

  router.post('/outgoing/:id/issue', async (req, res) => {
    const document = await deps.registry.issueOutgoing(actorOfResponse(res.locals), organIdOf(req), idOf(req));
    res.json(presentDocument(document));
  });

  router.post('/documents/:id/assignments', json, async (req, res) => {
    const { assignments } = parseInput(assignmentBody, req.body);
    const created = await deps.assignments.assign(actorOfResponse(res.locals), organIdOf(req), idOf(req), assignments);
    res.status(201).json({ items: created });
  });

  // Raw upload, streamed to the blob store: Content-Type is the media type, ?fileName= the file name.
  router.post('/documents/:id/attachments', async (req, res) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > deps.attachmentMaxBytes) throw new DomainError('attachment.too_large');
    const fileName = typeof req.query.fileName === 'string' ? req.query.fileName : '';
    const role = req.query.role === 'main' || req.query.role === 'scan' ? req.query.role : 'attachment';
    const record = await deps.attachments.upload(actorOfResponse(res.locals), organIdOf(req), idOf(req), {
      fileName, role, mediaType: (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0] as string, content: req,
    });
    res.status(201).json(presentAttachment(record));
  });

  router.get('/documents/:id/attachments', async (req, res) => {
    const items = await deps.attachments.list(actorOfResponse(res.locals), organIdOf(req), idOf(req));
    res.json({ items: items.map(presentAttachment) });
  });

  router.get('/documents/:id/attachments/:attachmentId', async (req, res) => {
    const { record, content } = await deps.attachments.open(actorOfResponse(res.locals), organIdOf(req), idOf(req), idOf(req, 'attachmentId'));
    res.setHeader('Content-Type', record.mediaType);
    res.setHeader('Content-Length', String(record.size));
    res.setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(record.fileName)}`);
    res.setHeader('Digest', `sha-256=${Buffer.from(record.sha256, 'hex').toString('base64')}`);
    for await (const chunk of content) if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    res.end();
  });

  router.get('/registers/:direction', async (req, res) => {
    const direction = req.params.direction;
    if (direction !== 'incoming' && direction !== 'outgoing') throw new DomainError('registry.book_not_found');
    const q = parseInput(registerQuery, req.query);
    const book = await deps.registerBooks.book(actorOfResponse(res.locals), organIdOf(req), { direction, year: q.year, from: q.from, to: q.to, seriesKey: q.series });
    const base = `so-${direction === 'incoming' ? 'den' : 'di'}-${book.agency.organId}-${book.year}`;
    if (q.format === 'csv') {
      res.setHeader('Content-Disposition', `attachment; filename="${base}.csv"`);
      res.type('text/csv; charset=utf-8').send(registerBookCsv(book));
    } else if (q.format === 'html') {
      res.type('text/html; charset=utf-8').send(registerBookHtml(book));
    } else {
      res.json({ organId: book.agency.organId, direction, year: book.year, registers: book.registers, entries: book.entries.map(presentDocument) });
    }
  });

  router.get('/users', async (req, res) => {
    const users = await deps.users.list(actorOfResponse(res.locals), organIdOf(req));
    res.json({ items: users });
  });

  router.post('/users', json, async (req, res) => {
    const user = await deps.users.create(actorOfResponse(res.locals), organIdOf(req), parseInput(userBody, req.body));
    res.status(201).json(user);
  });

  // Lock or unlock an account (also clears the failed-login count that locks it).
  router.post('/users/:id/:state', async (req, res) => {
    const state = req.params.state;
    if (state !== 'disable' && state !== 'enable') throw new DomainError('request.not_found');
    await deps.users.setDisabled(actorOfResponse(res.locals), organIdOf(req), idOf(req), state === 'disable');
    res.status(204).end();
  });

  router.get('/audit', async (req, res) => {
    const limit = Math.min(Number(req.query.limit ?? 100) || 100, 1000);
    const before = req.query.before ? Number(req.query.before) : undefined;
    res.json({ items: await deps.audit.entries(actorOfResponse(res.locals), organIdOf(req), limit, before) });
  });

  router.use(signingRoutes(deps));
  router.use(exchangeRoutes(deps));
  return router;
}
