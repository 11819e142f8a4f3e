// The access room by job, put together once: sign-in and tokens (SignIn), the view decisions
// (AccessService), administration (AccessAdmin), screens' read models (AccessScreens). Routes
// take what they need from it; a change through any of them reaches the decisions' caches.
import type { RepeatThrottle } from '../util/repeat-throttle.js';
import type { AccessRepository } from './access.repository.js';
import { AccessAdmin } from './AccessAdmin.js';
import { AccessScreens } from './AccessScreens.js';
import { AccessService } from './AccessService.js';
import { SignIn, type SignInDeps } from './SignIn.js';

export interface AccessRoom {
  repo: AccessRepository;
  signIn: SignIn;
  decisions: AccessService;
  admin: AccessAdmin;
  screens: AccessScreens;
}

/** What sign-in needs (its change callback is the room's own), and where refusals' repeats are counted. */
export interface AccessRoomDeps extends Omit<SignInDeps, 'onChanged' | 'repeats'> {
  /**
   * Where repeats of an audited refusal are counted, by what is refused: views and routes
   * (`denials`), sign-ins (`logins`). Each in this process when not given; a cluster counts them
   * on Redis, so a person refused on several nodes is recorded once a window.
   */
  repeats?: (of: 'denials' | 'logins') => RepeatThrottle;
}

export function createAccessRoom(d: AccessRoomDeps): AccessRoom {
  const decisions = new AccessService(d.repo, d.audit, d.options.cacheTtlMs, d.repeats?.('denials'));
  const { repeats, ...rest } = d;
  const loginRepeats = repeats?.('logins');
  return {
    repo: d.repo,
    decisions,
    signIn: new SignIn({ ...rest, ...(loginRepeats ? { repeats: loginRepeats } : {}), onChanged: (userId) => decisions.invalidate(userId) }),
    admin: new AccessAdmin(d.repo, d.audit, decisions),
    screens: new AccessScreens(d.repo, decisions),
  };
}
