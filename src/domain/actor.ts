import { DomainError } from './errors.ts';
import { isAllowed, type Action, type Role } from './roles.ts';

/** Who is acting: a logged-in user (or the node itself for axis-driven actions). */
export interface Actor {
  readonly userId: string;
  readonly username: string;
  readonly agencyOrganId: string;
  readonly roles: readonly Role[];
}

/** Every use case starts here: the action must be allowed to one of the actor's roles, in their own agency. */
export function authorize(actor: Actor, action: Action, agencyOrganId: string): void {
  if (actor.agencyOrganId !== agencyOrganId) {
    throw new DomainError('auth.other_agency', { details: [{ field: 'organId', message: `${actor.username} belongs to ${actor.agencyOrganId}` }] });
  }
  if (!isAllowed(action, actor.roles)) {
    throw new DomainError('auth.forbidden', { details: [{ message: `${action} is not allowed to ${actor.roles.join(', ') || 'no role'}` }] });
  }
}
