// Resolves the caller from a bearer token (API) or the session cookie (UI) and attaches the actor.
import type { Request, RequestHandler } from 'express';
import type { Actor } from '../domain/actor.ts';
import { DomainError } from '../domain/errors.ts';
import { actorOf, type AuthService } from '../services/auth-service.ts';

export const SESSION_COOKIE = 'edoc_session';

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

export function tokenOf(req: Request): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return readCookie(req, SESSION_COOKIE);
}

export const requireActor = (auth: AuthService): RequestHandler => async (req, res, next) => {
  const token = tokenOf(req);
  if (!token) throw new DomainError('auth.unauthenticated');
  res.locals.actor = actorOf(await auth.authenticate(token));
  next();
};

export const actorOfResponse = (locals: Record<string, unknown>): Actor => locals.actor as Actor;
