// Who may do what (DOMAIN.md §1). Every HTTP route names one action; the guard checks the action's roles
// and that the user belongs to the agency in the path. The authorisation matrix test reads this table.
import type { Role } from './demo-network.ts';

export type { Role } from './demo-network.ts';
export const roles: readonly Role[] = ['van_thu', 'lanh_dao', 'chuyen_vien', 'quan_tri'];

export const roleLabels: Record<Role, string> = {
  van_thu: 'Văn thư',
  lanh_dao: 'Lãnh đạo',
  chuyen_vien: 'Chuyên viên',
  quan_tri: 'Quản trị',
};

export const permissions = {
  'document.read': ['van_thu', 'lanh_dao', 'chuyen_vien', 'quan_tri'],
  // Nghị định 30, art. 22: incoming documents are registered centrally by the văn thư.
  'incoming.register': ['van_thu'],
  'outgoing.draft': ['van_thu', 'lanh_dao', 'chuyen_vien'],
  // Nghị định 30, art. 15-16: the văn thư gives the number and notation and issues.
  'outgoing.issue': ['van_thu'],
  'attachment.upload': ['van_thu', 'lanh_dao', 'chuyen_vien'],
  'register.read': ['van_thu', 'lanh_dao', 'quan_tri'],
  'register.configure': ['quan_tri'],
  'assignment.create': ['lanh_dao'],
  // DOMAIN.md §4: finishing the handling of a received document (status 06 to its sender).
  'incoming.complete': ['van_thu', 'lanh_dao', 'chuyen_vien'],
  'dossier.manage': ['van_thu', 'lanh_dao', 'chuyen_vien'],
  'user.manage': ['quan_tri'],
  'audit.read': ['quan_tri'],
  // DOMAIN.md §1: a leader signs with their own personal key; only the văn thư applies the agency's key.
  'document.sign_personal': ['lanh_dao'],
  'document.sign_organisation': ['van_thu'],
  'key.read': ['van_thu', 'lanh_dao', 'quan_tri'],
  // Packages refused on receipt: the văn thư handles incoming documents, the quản trị the node (e.g. after
  // installing a fresh directory, a package quarantined while it had expired is re-processed).
  'exchange.quarantine': ['van_thu', 'quan_tri'],
  // Sending again everything the agency failed to send (documents and statuses) once the axis is back.
  'exchange.outbox': ['van_thu', 'quan_tri'],
  'key.import_personal': ['lanh_dao', 'quan_tri'],
  'key.manage': ['quan_tri'],
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof permissions;

export const isAllowed = (action: Action, userRoles: readonly Role[]): boolean =>
  (permissions[action] as readonly Role[]).some((r) => userRoles.includes(r));
