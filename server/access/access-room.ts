// The access room by job, put together once: sign-in and tokens (SignIn), the view decisions
// (AccessService), administration (AccessAdmin), screens' read models (AccessScreens). Routes
// take what they need from it; a change through any of them reaches the decisions' caches.
import type { AuditLog } from '../audit/AuditLog.js';
import type { SecretBox } from '../util/SecretBox.js';
import type { AccessRepository } from './access.repository.js';
import { AccessAdmin } from './AccessAdmin.js';
import { AccessScreens } from './AccessScreens.js';
import { AccessService, type AccessOptions } from './AccessService.js';
import type { RateCounters } from './rate-counters.js';
import { SignIn } from './SignIn.js';
import type { TokenService } from './tokens.js';

export interface AccessRoom {
  repo: AccessRepository;
  signIn: SignIn;
  decisions: AccessService;
  admin: AccessAdmin;
  screens: AccessScreens;
}

export function createAccessRoom(d: { repo: AccessRepository; tokens: TokenService; audit: AuditLog; box: SecretBox; counters: RateCounters; options: AccessOptions }): AccessRoom {
  const decisions = new AccessService(d.repo, d.audit, d.options.cacheTtlMs);
  return {
    repo: d.repo,
    decisions,
    signIn: new SignIn({ ...d, onChanged: (userId) => decisions.invalidate(userId) }),
    admin: new AccessAdmin(d.repo, d.audit, decisions),
    screens: new AccessScreens(d.repo, decisions),
  };
}
