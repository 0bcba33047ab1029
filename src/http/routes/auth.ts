import { Router } from 'express';
import { loginBody, parseInput } from '../schemas.ts';
import { requireActor, SESSION_COOKIE, tokenOf, actorOfResponse } from '../authentication.ts';
import type { HttpDependencies } from '../dependencies.ts';

export function authRoutes(deps: HttpDependencies): Router {
  const router = Router();
  // POST /api/auth/login {username, password} → {token}; `?session=cookie` also sets the UI cookie.
  router.post('/login', async (req, res) => {
    const { username, password } = parseInput(loginBody, req.body);
    const kind = req.query.session === 'cookie' ? 'cookie' : 'bearer';
    const { token, user, expiresAt } = await deps.auth.login(username, password, kind);
    if (kind === 'cookie') {
      res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: req.secure, expires: expiresAt, path: '/' });
    }
    res.json({ token, expiresAt: expiresAt.toISOString(), user: { username: user.username, fullName: user.fullName, organId: user.agencyOrganId, roles: user.roles } });
  });
  router.post('/logout', async (req, res) => {
    const token = tokenOf(req);
    if (token) await deps.auth.logout(token);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });
  router.get('/me', requireActor(deps.auth), (_req, res) => {
    const actor = actorOfResponse(res.locals);
    res.json({ username: actor.username, organId: actor.agencyOrganId, roles: actor.roles });
  });
  return router;
}
