// Key custody and signing routes under /api/agencies/{organId} (docs/signing-custody.md). Thin handlers:
// validate → call the service (which authorises) → present. Mounted by routes/agency.ts after its
// authentication middleware.
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import { actorOfResponse } from '../authentication.ts';
import type { HttpDependencies } from '../dependencies.ts';
import { presentAttachment, presentDocument } from '../presenters/document.ts';
import { presentKey, presentSignatureReport } from '../presenters/signing.ts';
import { parseInput, parseOrganIdParam } from '../schemas.ts';

const pin = z.string().regex(/^\d{4,32}$/, 'digits only');
const uuid = z.string().uuid();

export const keyImportBody = z.strictObject({
  kind: z.enum(['personal', 'organisation']),
  pkcs12: z.string().min(1).max(1_000_000).regex(/^[A-Za-z0-9+/=\s]+$/, 'base64 of the .p12 file'),
  passphrase: z.string().max(200),
  pin: pin.optional(),
  ownerUserId: uuid.optional(),
});

export const personalSignatureBody = z.strictObject({ pin: pin.optional(), keyId: uuid.optional() });

const organIdOf = (req: Request): string => parseOrganIdParam(req.params.organId);
const idOf = (req: Request, name: string, notFound: 'registry.document_not_found' | 'pki.key_not_found' | 'attachment.not_found'): string => {
  const value = req.params[name];
  if (typeof value !== 'string' || !uuid.safeParse(value).success) throw new DomainError(notFound);
  return value;
};

export function signingRoutes(deps: HttpDependencies): Router {
  const router = Router({ mergeParams: true });
  const json = express.json({ limit: deps.bodyLimitBytes, strict: true });
  const base = (req: Request): string => `/api/agencies/${organIdOf(req)}/documents/${idOf(req, 'id', 'registry.document_not_found')}`;

  router.get('/keys', async (req, res) => {
    const keys = await deps.keyCustody.list(actorOfResponse(res.locals), organIdOf(req));
    res.json({ items: keys.map(presentKey) });
  });

  router.post('/keys', json, async (req, res) => {
    const input = parseInput(keyImportBody, req.body);
    const key = await deps.keyCustody.importPkcs12(actorOfResponse(res.locals), organIdOf(req), {
      kind: input.kind, pkcs12: Buffer.from(input.pkcs12, 'base64'), passphrase: input.passphrase,
      ...(input.pin !== undefined ? { pin: input.pin } : {}), ...(input.ownerUserId ? { ownerUserId: input.ownerUserId } : {}),
    });
    res.status(201).json(presentKey(key));
  });

  router.post('/keys/:keyId/unlock', async (req, res) => {
    res.json(presentKey(await deps.keyCustody.unlockAfterLockout(actorOfResponse(res.locals), organIdOf(req), idOf(req, 'keyId', 'pki.key_not_found'))));
  });

  router.post('/keys/:keyId/retire', async (req, res) => {
    await deps.keyCustody.retire(actorOfResponse(res.locals), organIdOf(req), idOf(req, 'keyId', 'pki.key_not_found'));
    res.status(204).end();
  });

  router.post('/documents/:id/signatures/personal', json, async (req, res) => {
    const input = parseInput(personalSignatureBody, req.body ?? {});
    const result = await deps.signing.signPersonal(actorOfResponse(res.locals), organIdOf(req), idOf(req, 'id', 'registry.document_not_found'), {
      ...(input.pin !== undefined ? { pin: input.pin } : {}), ...(input.keyId ? { keyId: input.keyId } : {}),
    });
    res.status(201).json({ document: presentDocument(result.document), attachment: presentAttachment(result.attachment), signature: presentSignatureReport(result.report, base(req)) });
  });

  router.post('/outgoing/:id/agency-signature', async (req, res) => {
    const result = await deps.signing.signOrganisation(actorOfResponse(res.locals), organIdOf(req), idOf(req, 'id', 'registry.document_not_found'));
    const path = `/api/agencies/${organIdOf(req)}/documents/${result.document.id}`;
    res.status(201).json({ document: presentDocument(result.document), signatures: result.reports.map((r) => presentSignatureReport(r, path)) });
  });

  router.get('/documents/:id/signatures', async (req, res) => {
    const reports = await deps.signing.listReports(actorOfResponse(res.locals), organIdOf(req), idOf(req, 'id', 'registry.document_not_found'));
    res.json({ items: reports.map((r) => presentSignatureReport(r, base(req))) });
  });

  router.get('/documents/:id/signatures/:reportId/cms', async (req, res) => {
    const { content } = await deps.signing.openDetachedSignature(actorOfResponse(res.locals), organIdOf(req), idOf(req, 'id', 'registry.document_not_found'), idOf(req, 'reportId', 'attachment.not_found'));
    res.setHeader('Content-Type', 'application/pkcs7-signature');
    res.setHeader('Content-Disposition', `attachment; filename="${req.params.reportId}.p7s"`);
    for await (const chunk of content) if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    res.end();
  });

  return router;
}
