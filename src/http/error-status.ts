// The single place that maps error kinds to HTTP statuses, and the error handler that presents every
// error as { error: { code, message, messageVi, details } } from the catalogue.
import type { ErrorRequestHandler } from 'express';
import { DomainError, errorCatalogue, type ErrorKind } from '../domain/errors.ts';

export const statusOfKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unavailable: 503,
  internal: 500,
};

/** body-parser and express errors carry a `type` or `status`; turn them into catalogue errors. */
function fromFramework(error: unknown): DomainError | null {
  const e = error as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.too.large') return new DomainError('request.too_large', { cause: error });
  if (e.type === 'entity.parse.failed') return new DomainError('request.invalid', { cause: error, details: [{ field: 'body', message: 'malformed JSON' }] });
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') return new DomainError('request.unsupported_media_type', { cause: error });
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return new DomainError('request.invalid', { cause: error, details: [{ message: e.message ?? 'bad request' }] });
  return null;
}

export function errorHandler(log: (message: string, error: unknown) => void): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    const domainError = error instanceof DomainError ? error : fromFramework(error);
    if (!domainError) log('unexpected error', error);
    const e = domainError ?? new DomainError('internal.error', { cause: error });
    if (e.kind === 'unavailable') res.setHeader('Retry-After', '5');
    res.status(statusOfKind[e.kind]).json({
      error: { code: e.code, message: errorCatalogue[e.code].en, messageVi: e.messageVi, details: e.details },
    });
  };
}
