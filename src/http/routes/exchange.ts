// Exchange routes under /api/agencies/{organId} (docs/exchange.md): send an issued document over the
// axis and follow its deliveries; recall, update or replace it; accept or return a received document;
// report progress (04/06); answer the senders' requests (15/16); metadata history; the quarantine. Thin handlers: validate → call the service (which authorises) → present. Mounted by
// routes/agency.ts after its authentication middleware.
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import { actorOfResponse } from '../authentication.ts';
import type { HttpDependencies } from '../dependencies.ts';
import { presentDocument } from '../presenters/document.ts';
import { presentDelivery, presentExchangeRequest, presentMetadataHistory, presentQuarantined } from '../presenters/exchange.ts';
import { documentReplaceBody, documentUpdateBody, parseInput, parseOrganIdParam } from '../schemas.ts';

export const returnBody = z.strictObject({ reason: z.string().trim().min(1).max(2000) });
export const progressBody = z.strictObject({ step: z.enum(['assigned', 'completed']) });

const organIdOf = (req: Request): string => parseOrganIdParam(req.params.organId);
const idOf = (req: Request): string => {
  const value = req.params.id;
  if (typeof value !== 'string' || !z.string().uuid().safeParse(value).success) throw new DomainError('registry.document_not_found');
  return value;
};

export function exchangeRoutes(deps: HttpDependencies): Router {
  const router = Router({ mergeParams: true });
  const exchange = deps.exchange;
  if (!exchange) return router;
  const json = express.json({ limit: '16kb', strict: true });

  router.post('/outgoing/:id/send', async (req, res) => {
    const result = await exchange.sending.send(actorOfResponse(res.locals), organIdOf(req), idOf(req));
    res.status(202).json(result);
  });

  router.get('/outgoing/:id/deliveries', async (req, res) => {
    const items = await exchange.sending.deliveries(actorOfResponse(res.locals), organIdOf(req), idOf(req));
    res.json({ items: items.map(presentDelivery) });
  });

  router.post('/incoming/:id/accept', async (req, res) => {
    res.json(presentDocument(await exchange.clerk.accept(actorOfResponse(res.locals), organIdOf(req), idOf(req))));
  });

  router.post('/incoming/:id/return', json, async (req, res) => {
    const { reason } = parseInput(returnBody, req.body);
    res.json(presentDocument(await exchange.clerk.returnDocument(actorOfResponse(res.locals), organIdOf(req), idOf(req), reason)));
  });

  router.post('/incoming/:id/progress', json, async (req, res) => {
    const { step } = parseInput(progressBody, req.body);
    res.json(presentDocument(await exchange.clerk.reportProgress(actorOfResponse(res.locals), organIdOf(req), idOf(req), step)));
  });

  // Hoàn thành (AssignmentService): for a document received over the axis, 06 goes to its sender.
  router.post('/incoming/:id/complete', async (req, res) => {
    res.json(presentDocument(await deps.assignments.complete(actorOfResponse(res.locals), organIdOf(req), idOf(req))));
  });

  router.post('/outgoing/:id/recall', json, async (req, res) => {
    const { reason } = parseInput(returnBody, req.body);
    res.status(202).json(await exchange.sending.recall(actorOfResponse(res.locals), organIdOf(req), idOf(req), reason));
  });

  router.post('/outgoing/:id/update', json, async (req, res) => {
    const body = parseInput(documentUpdateBody, req.body);
    const { signerInfo, ...metadata } = body.metadata ?? {};
    res.status(202).json(await exchange.sending.update(actorOfResponse(res.locals), organIdOf(req), idOf(req), {
      reason: body.reason,
      metadata: { ...metadata, ...(signerInfo !== undefined ? { signerInfo: signerInfo && { fullName: signerInfo.fullName ?? null, position: signerInfo.position ?? null, competence: signerInfo.competence ?? null } } : {}) },
      ...(body.addRecipients ? { addRecipients: body.addRecipients.map((r) => ({ organId: r.organId, organName: r.organName ?? '' })) } : {}),
      ...(body.removeRecipients ? { removeRecipients: body.removeRecipients } : {}),
    }));
  });

  router.post('/outgoing/:id/replace', json, async (req, res) => {
    const body = parseInput(documentReplaceBody, req.body);
    res.status(202).json(await exchange.sending.replace(actorOfResponse(res.locals), organIdOf(req), idOf(req), body));
  });

  router.get('/documents/:id/metadata-history', async (req, res) => {
    const items = await exchange.clerk.metadataHistory(actorOfResponse(res.locals), organIdOf(req), idOf(req));
    res.json({ items: items.map(presentMetadataHistory) });
  });

  router.get('/exchange/requests', async (req, res) => {
    const items = await exchange.clerk.requests(actorOfResponse(res.locals), organIdOf(req));
    res.json({ items: items.map(presentExchangeRequest) });
  });

  router.post('/exchange/requests/:id/accept', async (req, res) => {
    res.json(presentExchangeRequest(await exchange.clerk.answerRequest(actorOfResponse(res.locals), organIdOf(req), idOf(req), true)));
  });

  router.post('/exchange/requests/:id/refuse', json, async (req, res) => {
    const { reason } = parseInput(returnBody, req.body);
    res.json(presentExchangeRequest(await exchange.clerk.answerRequest(actorOfResponse(res.locals), organIdOf(req), idOf(req), false, reason)));
  });

  // Gửi lại: entries whose retries ran out go back to the relay (same message ids).
  router.post('/outgoing/:id/retry', async (req, res) => {
    res.status(202).json(await exchange.outbox.retryDocument(actorOfResponse(res.locals), organIdOf(req), idOf(req)));
  });

  router.get('/exchange/outbox/failed', async (req, res) => {
    res.json({ items: await exchange.outbox.listFailed(actorOfResponse(res.locals), organIdOf(req)) });
  });

  router.post('/exchange/outbox/retry', async (req, res) => {
    res.status(202).json(await exchange.outbox.retryAll(actorOfResponse(res.locals), organIdOf(req)));
  });

  router.get('/exchange/quarantine', async (req, res) => {
    const items = await exchange.quarantine.list(actorOfResponse(res.locals), organIdOf(req));
    res.json({ items: items.map(presentQuarantined) });
  });

  router.post('/exchange/quarantine/reprocess', async (req, res) => {
    const { reprocessed, refused } = await exchange.quarantine.reprocessAll(actorOfResponse(res.locals), organIdOf(req));
    res.json({ reprocessed: reprocessed.map(presentQuarantined), refused });
  });

  router.post('/exchange/quarantine/:id/reprocess', async (req, res) => {
    res.json(presentQuarantined(await exchange.quarantine.reprocess(actorOfResponse(res.locals), organIdOf(req), idOf(req))));
  });

  return router;
}
