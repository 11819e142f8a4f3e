// What a person may do at all, whatever the place: the permission every HTTP route declares
// (checked in one place, server/http/handler.ts, before the route's own code runs), and the
// pages of the web client, which follow the same table. Where inside their scopes a person
// may do it (which facility, which camera) stays the business of the decision at hand.
import type { Role } from '../db/generated/enums.js';
import { isActive, type Subject } from './policy.js';
import { ROLE_RULES } from './roles.js';

export enum Permission {
  /** Anyone, signed in or not: sign-in itself, activation, readiness. */
  Public = 'public',
  /** Any active person: their own profile, password, wall and spot checks. */
  SignedIn = 'signed-in',
  /** Roles that watch video, and inspectors (through their spot checks): cameras, incidents, recordings. */
  Watch = 'watch',
  /** Scope administrators and installers: the registry of places and cameras they keep. */
  Registry = 'registry',
  /** Scope administrators: people, grants, spot checks, account decisions, who watched what. */
  AdministerPeople = 'administer-people',
  /** Focal points (who submit their organization's lists) and scope administrators (who decide them). */
  AccountLists = 'account-lists',
  /** Roles with the connection-report duty: the 24/7 report of the facilities in scope. */
  ConnectionReport = 'connection-report',
  /** Roles with any duty: the operations page (the SFU dashboard, plugins' state). */
  Operations = 'operations',
}

/** Does an active ALLOW assignment of `role` grant `permission`? The one table of it. */
function grants(role: Role, permission: Permission): boolean {
  const rule = ROLE_RULES[role];
  switch (permission) {
    case Permission.Public:
    case Permission.SignedIn:
      return true;
    case Permission.Watch:
      return rule.views || role === 'INSPECTOR';
    case Permission.Registry:
      return role === 'SCOPE_ADMIN' || role === 'INSTALLER';
    case Permission.AdministerPeople:
      return role === 'SCOPE_ADMIN';
    case Permission.AccountLists:
      return role === 'SCOPE_ADMIN' || role === 'FOCAL_POINT';
    case Permission.ConnectionReport:
      return rule.duties.includes('uptime-report');
    case Permission.Operations:
      return rule.duties.length > 0;
  }
}

/**
 * May `subject` use what `permission` guards? Public and SignedIn need no role (an active
 * account with none still has its account page); every other permission needs a live ALLOW
 * role that grants it, somewhere. A DENY narrows places, not permissions.
 */
export function holdsPermission(subject: Subject, permission: Permission, now: Date): boolean {
  if (permission === Permission.Public) return true;
  if (subject.status !== 'ACTIVE') return false;
  if (permission === Permission.SignedIn) return true;
  return subject.assignments.some((a) => a.effect === 'ALLOW' && isActive(a, now) && grants(a.role, permission));
}

/**
 * The pages of the web client: the video wall, incidents, recordings, operations, the
 * connection drive, the places registry, the people directory and the leak investigation,
 * account lists, the person's own account.
 */
export type Page = 'wall' | 'incidents' | 'recordings' | 'ops' | 'drive' | 'places' | 'people' | 'investigation' | 'lists' | 'account';

/** The permission each page needs, in the order of the menu. */
export const PAGE_PERMISSION: Readonly<Record<Page, Permission>> = {
  wall: Permission.Watch,
  incidents: Permission.Watch,
  recordings: Permission.Watch,
  ops: Permission.Operations,
  drive: Permission.ConnectionReport,
  places: Permission.Registry,
  people: Permission.AdministerPeople,
  investigation: Permission.AdministerPeople,
  lists: Permission.AccountLists,
  account: Permission.SignedIn,
};

/**
 * The pages a person may use, and the one they land on: the first of the menu they may use
 * (the wall for those who watch, operations for the duties), except that a scope
 * administrator lands on the account page, where what waits for their decision is.
 * `rolesEnded`: no role of the person is live (every one expired or revoked), so there is
 * nothing to do but ask for it again.
 */
export function pagesFor(subject: Subject, now: Date): { pages: Page[]; home: Page; rolesEnded: boolean } {
  // The account page is everyone's: it is also where a person without a live role reads so.
  const pages = (Object.keys(PAGE_PERMISSION) as Page[]).filter((p) => p === 'account' || holdsPermission(subject, PAGE_PERMISSION[p], now));
  const rolesEnded = subject.status !== 'ACTIVE' || !subject.assignments.some((a) => a.effect === 'ALLOW' && isActive(a, now));
  return { pages, home: pages[0] === 'places' ? 'account' : pages[0]!, rolesEnded };
}
