// Account requests: an organization's focal point asks for accounts for named people, the
// authority over each requested scope decides, and an approved new account gets a one-time
// activation link that sets its password. A request never changes an existing account.
// Outside the caller's authority everything answers "not found", and every refusal is audited.
import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/AuditLog.js';
import type { Role, ScopeType } from '../db/generated/enums.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Place } from '../places/place.js';
import type { AccessRepository } from './access.repository.js';
import type { Caller } from './AccessService.js';
import { activationSheetPdf } from './activation-sheet.js';
import { listTemplateCsv, listTemplateXlsx, type ListLine } from './account-list-file.js';
import { judgeLines, requestable, type ScopeChoice } from './account-list-judge.js';
import type { Mailer } from './mailer.js';
import { checkPasswordStrength } from './password-strength.js';
import { hashPassword } from './passwords.js';
import type { TotpEnrollment } from './AccessService.js';
import { newTotpSecret, totpUri } from './totp.js';
import type { SecretBox } from '../util/SecretBox.js';
import { ListError } from '../util/list-problems.js';
import { moduleLogger } from '../logger.js';
import { foldText } from '../util/fold.js';
import { decideAuthority, decideGrant, holdsRole, holdsRoleAt, isActive, requiresSecondFactor, roleFitsOrganization, roleFitsScope, type Subject } from './policy.js';
import { ROLE_RULES } from './roles.js';
import type { RateCounters } from './rate-counters.js';
import type { RequestsRepository } from './requests.repository.js';
import { hashRefresh, type TokenService } from './tokens.js';

const log = moduleLogger('requests');

/** Account requests one focal point may submit in an hour (a province's list is a few hundred at most). */
export const REQUEST_LIMIT = { windowMs: 3_600_000, perSubmitter: 300 } as const;
/**
 * List files a focal point may upload in an hour, counted before a file is read (reading an
 * XLSX costs CPU whatever it holds), and one at a time per person on a node.
 */
export const UPLOAD_LIMIT = { windowMs: 3_600_000, perSubmitter: 30 } as const;

function newActivation(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefresh(token) };
}

/** "Gia Lai" for "Tỉnh Gia Lai" (level "Tỉnh"): how people write a unit's name in a list. */
function withoutLevel(name: string, level: string): string[] {
  return foldText(name).startsWith(`${foldText(level)} `) ? [name.slice(level.length + 1).trim()] : [];
}

export interface AccountRequestsDeps {
  repo: RequestsRepository;
  access: AccessRepository;
  audit: AuditLog;
  counters: RateCounters;
  /** A person's access changed (an approved role request): caches and open views follow. */
  onChanged: (userId: string) => void;
  /** Seals the activation token kept for the printable sheet. */
  box: SecretBox;
  /** Starts a second-factor enrolment at activation for roles that need one. */
  tokens: TokenService;
  totp: 'required' | 'off';
  /** How long an activation link works (configuration `auth.activationHours`, 72 by default). */
  activationHours: number;
  /** Sends activation links by email; absent: the focal point prints the sheet. */
  mailer?: Mailer;
  /** The address people open the system at; absent: the approver's own (from their request). */
  publicUrl?: string;
}

/** An approval's answer: the account, and how its person gets their activation link. */
export interface Approval {
  userId: string;
  /** For scripts and the approver: the one-time token (new accounts only). */
  activationToken?: string;
  /** 'sent': the email was accepted; 'failed' or 'off': the focal point prints the sheet. */
  delivery?: 'sent' | 'failed' | 'off';
}

export class AccountRequests {
  /** People whose uploaded file is being read on this node. */
  readonly #reading = new Set<string>();
  readonly #repo: RequestsRepository;
  readonly #access: AccessRepository;
  readonly #audit: AuditLog;
  readonly #counters: RateCounters;
  readonly #onChanged: (userId: string) => void;
  readonly #deps: AccountRequestsDeps;

  constructor(deps: AccountRequestsDeps) {
    this.#deps = deps;
    this.#repo = deps.repo;
    this.#access = deps.access;
    this.#audit = deps.audit;
    this.#counters = deps.counters;
    this.#onChanged = deps.onChanged;
  }

  async #subject(userId: string): Promise<Subject> {
    const s = await this.#access.subject(userId);
    if (!s) throw new AppError(ErrorCode.Unauthenticated, 'account not found');
    return s;
  }

  async #scopePlace(scopeType: ScopeType, scopeId: string | null): Promise<Place> {
    const place = await this.#access.placeOfScope(scopeType, scopeId);
    if (!place) throw new AppError(ErrorCode.NotFound, `no such ${scopeType.toLowerCase()}`);
    return place;
  }

  /**
   * An organization's focal point asks for an account for a named person: only a focal point
   * (FOCAL_POINT, named by a scope administrator), for their own organization, inside the
   * scope of that role, for a role people of that kind of organization hold at that scope.
   *
   * A request never touches an existing account: naming the username of an active account of
   * the same organization makes it a role request for that account (the person's record stays
   * as it is); any other taken username is refused, a suspended or revoked account included,
   * whose return is a scope administrator's decision on the account, not a request's.
   */
  async submitRequest(caller: Caller, req: { fullName: string; position: string; phone: string; email: string; username: string; role: Role; scopeType: ScopeType; scopeId: string | null }) {
    // Every attempt counts, refused ones too: the limit also bounds the audit records a
    // signed-in person can make by submitting what they may not.
    if (await this.#counters.hit(`requests:${caller.userId}`, REQUEST_LIMIT.windowMs) > REQUEST_LIMIT.perSubmitter) {
      throw new AppError(ErrorCode.TooManyRequests, `at most ${REQUEST_LIMIT.perSubmitter} account requests an hour; try again later`);
    }
    const [submitter, existing, subject] = await Promise.all([this.#access.userById(caller.userId), this.#access.userByUsername(req.username), this.#access.subject(caller.userId)]);
    if (!submitter || !subject) throw new AppError(ErrorCode.Unauthenticated, 'account not found');
    const place = await this.#scopePlace(req.scopeType, req.scopeId);
    if (!holdsRoleAt(subject, 'FOCAL_POINT', place, new Date())) {
      await this.#audit.append({ actorId: caller.userId, action: 'access.denied', target: `username:${req.username}`, address: caller.address, details: { attempted: 'submit request', role: req.role, scopeType: req.scopeType, scopeId: req.scopeId, reason: 'not-focal-point-there' } });
      throw new AppError(ErrorCode.NotFound, 'account requests are submitted by a focal point of the organization, inside the scope they were named for');
    }
    if (req.role === 'FOCAL_POINT') throw new AppError(ErrorCode.BadRequest, 'focal points are named by a scope administrator, not requested');
    if (!roleFitsScope(req.role, req.scopeType)) throw new AppError(ErrorCode.BadRequest, `the role ${req.role} is not granted at scope ${req.scopeType}`);
    const org = await this.#access.organizationKind(submitter.organizationId);
    if (!org || !roleFitsOrganization(req.role, org.kind)) throw new AppError(ErrorCode.BadRequest, `people of this organization (${org?.kind ?? 'unknown kind'}) do not hold the role ${req.role}`);
    if (existing && (existing.organizationId !== submitter.organizationId || existing.status !== 'ACTIVE')) {
      await this.#audit.append({ actorId: caller.userId, action: 'access.denied', target: `username:${req.username}`, address: caller.address, details: { attempted: 'request an existing account', status: existing.status, sameOrganization: existing.organizationId === submitter.organizationId } });
      throw new AppError(ErrorCode.Conflict, existing.organizationId === submitter.organizationId
        ? 'this username belongs to an account that is not active: a scope administrator decides on its return'
        : 'this username is taken: choose another');
    }
    const r = await this.#repo.createRequest({ ...req, organizationId: submitter.organizationId, submittedById: caller.userId, forUserId: existing?.id ?? null });
    await this.#audit.append({ actorId: caller.userId, action: 'request.submit', target: `request:${r.id}`, address: caller.address, details: { username: req.username, role: req.role, scopeType: req.scopeType, scopeId: req.scopeId, ...(existing ? { forUser: existing.id } : {}) } });
    return r;
  }

  /**
   * Pending requests the caller has authority to decide (never their own), oldest first, each
   * with its organization, who submitted it, its list and line, and its scope's name.
   */
  async decidableRequests(caller: Caller) {
    const approver = await this.#subject(caller.userId);
    const out = [];
    for (const r of await this.#repo.pendingRequests()) {
      const place = await this.#access.placeOfScope(r.scopeType, r.scopeId);
      // A role request for the caller's own account is theirs to decide no more than their own request.
      const grant = { ...(r.forUserId ? { userId: r.forUserId } : {}), role: r.role, scopeType: r.scopeType, scopeId: r.scopeId };
      if (place && r.submittedById !== caller.userId && decideGrant(approver, grant, place, new Date()).allow) out.push(r);
    }
    const [orgs, people, scopes] = await Promise.all([
      this.#repo.organizationNames(out.map((r) => r.organizationId)),
      this.#repo.peopleNames(out.map((r) => r.submittedById)),
      this.#access.scopeNames(out.flatMap((r) => (r.scopeId ? [r.scopeId] : []))),
    ]);
    const orgName = new Map(orgs.map((o) => [o.id, o.name]));
    return out.map(({ activationEnc: _a, ...r }) => ({
      ...r, organization: orgName.get(r.organizationId) ?? null, submittedBy: people.get(r.submittedById) ?? null,
      scopeName: r.scopeId ? scopes.get(r.scopeId) ?? null : null, roleRequest: r.forUserId !== null,
    }));
  }

  async #decidable(caller: Caller, id: string) {
    const r = await this.#repo.request(id);
    if (!r || r.status !== 'PENDING') throw new AppError(ErrorCode.NotFound, 'no such pending request');
    const [approver, place, existing] = await Promise.all([this.#subject(caller.userId), this.#scopePlace(r.scopeType, r.scopeId), this.#access.userByUsername(r.username)]);
    const self = r.submittedById === caller.userId || existing?.id === caller.userId;
    const d = self ? { allow: false as const, reason: 'self' as const } : decideGrant(approver, { userId: existing?.id, role: r.role, scopeType: r.scopeType, scopeId: r.scopeId }, place, new Date());
    if (!d.allow) {
      await this.#audit.append({ actorId: caller.userId, action: 'access.denied', target: `request:${id}`, address: caller.address, details: { attempted: 'decide request', reason: d.reason } });
      throw new AppError(ErrorCode.NotFound, 'no such pending request');
    }
    return r;
  }

  /**
   * Approves: a new account is created with the role, or a role request's role is added to
   * its account. CONFLICT, with the request left pending, when the username was taken
   * meanwhile or the account is no longer active. A new account's person gets the one-time
   * link by email when the deployment sends email; the link is also kept (sealed) for the
   * printable sheet until it is used or expires, so a failed email loses nothing.
   */
  async approveRequest(caller: Caller, id: string, reason: string | null, origin = ''): Promise<Approval> {
    const request = await this.#decidable(caller, id);
    const activation = newActivation();
    const expiresAt = new Date(Date.now() + this.#deps.activationHours * 3600_000);
    const done = await this.#repo.approveRequest(id, caller.userId, reason, { hash: activation.hash, expiresAt });
    if (!done) throw new AppError(ErrorCode.NotFound, 'no such pending request');
    if (done === 'taken') throw new AppError(ErrorCode.Conflict, 'this username was taken after the request was made: reject it, and the focal point asks again with another');
    if (done === 'inactive') throw new AppError(ErrorCode.Conflict, 'the account this role is for is no longer active: reject the request');
    await this.#audit.append({ actorId: caller.userId, action: 'request.approve', target: `user:${done.userId}`, address: caller.address, details: { request: id, newAccount: done.created, assignment: done.assignment.id, role: done.assignment.role, scopeType: done.assignment.scopeType, scopeId: done.assignment.scopeId, ...(reason ? { reason } : {}) } });
    this.#onChanged(done.userId);
    if (!done.created) return { userId: done.userId };
    await this.#repo.keepActivation(id, this.#deps.box.seal(activation.token), expiresAt);
    return { userId: done.userId, activationToken: activation.token, delivery: await this.#mail(caller, request, this.#link(activation.token, origin), expiresAt) };
  }

  #link(token: string, origin: string): string {
    return `${(this.#deps.publicUrl ?? origin).replace(/\/+$/, '')}/activate.html#token=${token}`;
  }

  /** Sends the activation email (when configured) and records its outcome on the request and in the audit. */
  async #mail(caller: Caller, r: { id: string; email: string; fullName: string; username: string; organizationId: string }, link: string, expiresAt: Date): Promise<'sent' | 'failed' | 'off'> {
    const mailer = this.#deps.mailer;
    if (!mailer) return 'off';
    const id = r.id;
    const [org] = await this.#repo.organizationNames([r.organizationId]);
    try {
      await mailer.sendActivation({ to: r.email, fullName: r.fullName, username: r.username, organization: org?.name ?? '', link, expiresAt });
      await this.#repo.mailed(id, { at: new Date() });
      await this.#audit.append({ actorId: caller.userId, action: 'activation.mail', target: `request:${id}`, address: caller.address, details: { to: r.email, sent: true } });
      return 'sent';
    } catch (err) {
      // The approval stands: the focal point prints the sheet instead.
      const error = (err as Error).message ?? String(err);
      log.warn({ request: id, err: error }, 'activation email not sent');
      await this.#repo.mailed(id, { error });
      await this.#audit.append({ actorId: caller.userId, action: 'activation.mail', target: `request:${id}`, address: caller.address, details: { to: r.email, sent: false, error: error.slice(0, 200) } });
      return 'failed';
    }
  }

  async rejectRequest(caller: Caller, id: string, reason: string): Promise<void> {
    await this.#decidable(caller, id);
    await this.#repo.rejectRequest(id, caller.userId, reason);
    await this.#audit.append({ actorId: caller.userId, action: 'request.reject', target: `request:${id}`, address: caller.address, details: { reason } });
  }

  /**
   * The approved person sets their password with the one-time activation token (strength
   * checked against their own name, username and email). A role that needs a second factor
   * enrols it at once: the answer then carries the enrolment, completed by POST /auth/totp.
   */
  async activate(token: string, password: string, address: string): Promise<TotpEnrollment | undefined> {
    const holder = await this.#repo.activationHolder(hashRefresh(token));
    if (!holder) throw new AppError(ErrorCode.Unauthenticated, 'invalid or expired activation token');
    checkPasswordStrength(password, holder);
    const userId = await this.#repo.activate(hashRefresh(token), await hashPassword(password));
    if (!userId) throw new AppError(ErrorCode.Unauthenticated, 'invalid or expired activation token');
    await this.#audit.append({ actorId: userId, action: 'account.activate', target: `user:${userId}`, address });
    const subject = await this.#access.subject(userId);
    if (this.#deps.totp !== 'required' || !subject || holder.totpEnrolled || !requiresSecondFactor(subject, new Date())) return undefined;
    const secret = newTotpSecret();
    return { totpEnrollment: { enrollmentToken: this.#deps.tokens.issueEnrollment(userId, secret), secret, uri: totpUri(secret, holder.username) } };
  }

  // ---- lists --------------------------------------------------------------------------------

  /** The caller as a focal point (live FOCAL_POINT somewhere), or "not found" as for anyone else. */
  async #focalPoint(caller: Caller): Promise<{ subject: Subject; organizationId: string }> {
    const [subject, user] = await Promise.all([this.#access.subject(caller.userId), this.#access.userById(caller.userId)]);
    if (!subject || !user || !holdsRole(subject, 'FOCAL_POINT', new Date())) throw new AppError(ErrorCode.NotFound, 'no such route');
    return { subject, organizationId: user.organizationId };
  }

  /** The places a focal point's lines may name: inside the scopes of their live FOCAL_POINT roles. */
  async #choices(subject: Subject): Promise<ScopeChoice[]> {
    const now = new Date();
    const held = subject.assignments.filter((a) => a.role === 'FOCAL_POINT' && a.effect === 'ALLOW' && isActive(a, now));
    const national = held.some((a) => a.scopeType === 'NATION');
    const { units, facilities } = await this.#repo.scopeChoices(
      national ? 'all' : held.flatMap((a) => (a.scopeType === 'UNIT' && a.scopeId ? [a.scopeId] : [])),
      held.flatMap((a) => (a.scopeType === 'FACILITY' && a.scopeId ? [a.scopeId] : [])),
    );
    return [
      ...(national ? [{ scopeType: 'NATION' as const, scopeId: null, place: {}, name: 'Toàn quốc', aliases: ['Nation'], kind: 'Toàn quốc' }] : []),
      ...units.map((u) => ({ scopeType: 'UNIT' as const, scopeId: u.id, place: { units: u.path }, name: u.name, aliases: [u.code, u.id, `${u.level} ${u.name}`, ...withoutLevel(u.name, u.level)], kind: u.level })),
      ...facilities.map((f) => ({
        scopeType: 'FACILITY' as const, scopeId: f.id, place: { units: f.unit.path, facilityId: f.id, facilityKind: f.kind }, name: f.name,
        aliases: [f.id.slice(0, 8), f.id], kind: f.kind,
      })),
    ].filter((c) => holdsRoleAt(subject, 'FOCAL_POINT', c.place, now));
  }

  /** The roles this focal point's organization may ask for and the places its lines may name (the form's choices). */
  async choices(caller: Caller): Promise<{ roles: Role[]; scopes: Array<{ scopeType: ScopeType; name: string; kind: string; code: string }> }> {
    const { subject, organizationId } = await this.#focalPoint(caller);
    const [org, choices] = await Promise.all([this.#access.organizationKind(organizationId), this.#choices(subject)]);
    return {
      roles: (Object.keys(ROLE_RULES) as Role[]).filter((r) => requestable(r) && org !== null && roleFitsOrganization(r, org.kind)),
      scopes: choices.slice(0, 5000).map((c) => ({ scopeType: c.scopeType, name: c.name, kind: c.kind, code: c.aliases[0]! })),
    };
  }

  /** The list template: columns, and (XLSX) the roles and places this focal point may name. */
  async template(caller: Caller, format: 'xlsx' | 'csv', lang: 'vi' | 'en'): Promise<Buffer> {
    const { roles, scopes } = await this.choices(caller);
    if (format === 'csv') return listTemplateCsv(lang);
    return listTemplateXlsx({ roles: roles.map((r) => ({ label: lang === 'vi' ? ROLE_RULES[r].labelVi : ROLE_RULES[r].labelEn, code: r })), scopes }, lang);
  }

  /**
   * Admits one uploaded file to be read by `read`: only a focal point's, one at a time per
   * person, and at most UPLOAD_LIMIT an hour (refused uploads count too).
   */
  async readUpload<T>(caller: Caller, read: () => Promise<T>): Promise<T> {
    // Taken before any await, so parallel uploads of one person cannot both pass.
    if (this.#reading.has(caller.userId)) throw new AppError(ErrorCode.TooManyRequests, 'one list file at a time; wait for the one being read');
    this.#reading.add(caller.userId);
    try {
      await this.#focalPoint(caller);
      if (await this.#counters.hit(`uploads:${caller.userId}`, UPLOAD_LIMIT.windowMs) > UPLOAD_LIMIT.perSubmitter) {
        throw new AppError(ErrorCode.TooManyRequests, `at most ${UPLOAD_LIMIT.perSubmitter} list files an hour; try again later`);
      }
      return await read();
    } finally {
      this.#reading.delete(caller.userId);
    }
  }

  /**
   * A focal point's list: every line judged at once; any problem refuses the whole list
   * (BAD_REQUEST with every problem by line and column) and nothing is stored. Each line
   * counts towards the hourly allowance, refused lists too.
   */
  async submitList(caller: Caller, source: string, lines: ListLine[]) {
    const { subject, organizationId } = await this.#focalPoint(caller);
    if (await this.#counters.hit(`requests:${caller.userId}`, REQUEST_LIMIT.windowMs, Math.max(1, lines.length)) > REQUEST_LIMIT.perSubmitter) {
      throw new AppError(ErrorCode.TooManyRequests, `at most ${REQUEST_LIMIT.perSubmitter} account requests an hour; try again later`);
    }
    const org = await this.#access.organizationKind(organizationId);
    if (!org) throw new AppError(ErrorCode.NotFound, 'no such organization');
    const emails = lines.map((l) => l.email.trim()).filter(Boolean);
    const usernames = lines.map((l) => l.username.trim()).filter(Boolean);
    // Derived usernames must not collide with any account: those that start like an email's local part are read too.
    const [choices, accounts, alike, pending] = await Promise.all([
      this.#choices(subject), this.#repo.accountsNamed(usernames, emails), this.#repo.usernamesLike(emails), this.#repo.pendingOf(organizationId),
    ]);
    const { problems, judged } = judgeLines(lines, { focalPoint: subject, organization: { id: organizationId, kind: org.kind }, choices, accounts: [...accounts, ...alike], pending, now: new Date() });
    if (problems.length) {
      await this.#audit.append({ actorId: caller.userId, action: 'request.list.refused', target: `organization:${organizationId}`, address: caller.address, details: { source, lines: lines.length, problems: problems.length } });
      throw new AppError(ErrorCode.BadRequest, `the list has ${problems.length} problem(s); nothing was stored: ${new ListError(problems).message}`, { problems: problems.slice(0, 500) });
    }
    const list = await this.#repo.createList({ organizationId, submittedById: caller.userId, source }, judged);
    await this.#audit.append({ actorId: caller.userId, action: 'request.list', target: `list:${list.id}`, address: caller.address, details: { source, lines: judged.length, roleRequests: judged.filter((j) => j.forUserId).length } });
    return { id: list.id, lines: judged.length };
  }

  /** The lists the caller submitted, each line with its decision and how its person gets their link. */
  async myLists(caller: Caller) {
    await this.#focalPoint(caller);
    const lists = await this.#repo.listsOf(caller.userId);
    const all = lists.flatMap((l) => l.requests);
    const [names, scopes] = await Promise.all([this.#repo.peopleNames(all.flatMap((r) => (r.decidedById ? [r.decidedById] : []))), this.#access.scopeNames(all.flatMap((r) => (r.scopeId ? [r.scopeId] : [])))]);
    const now = new Date();
    return lists.map((l) => ({
      id: l.id, source: l.source, createdAt: l.createdAt,
      lines: l.requests.map((r) => ({
        id: r.id, line: r.line, fullName: r.fullName, position: r.position, phone: r.phone, email: r.email, username: r.username,
        role: r.role, scopeType: r.scopeType, scopeName: r.scopeId ? scopes.get(r.scopeId) ?? null : null, roleRequest: r.forUserId !== null,
        status: r.status, decidedAt: r.decidedAt, decidedBy: r.decidedById ? names.get(r.decidedById) ?? null : null, reason: r.decisionReason,
        mailedAt: r.mailedAt, mailError: r.mailError,
        // The sheet can be printed while its link is unused and unexpired.
        sheet: r.status === 'APPROVED' && r.activationExpiresAt !== null && r.activationExpiresAt > now && r.activationEnc !== null,
      })),
    }));
  }

  /**
   * The printable activation sheet of an approved new account whose link is unused and
   * unexpired: for the focal point who submitted it and for anyone with authority over its scope.
   */
  async activationSheet(caller: Caller, id: string, lang: 'vi' | 'en', origin: string): Promise<{ pdf: Buffer; username: string }> {
    const r = await this.#repo.requestWithActivation(id);
    const subject = await this.#subject(caller.userId);
    const place = r && await this.#access.placeOfScope(r.scopeType, r.scopeId);
    const mayPrint = r && place && (r.submittedById === caller.userId || decideAuthority(subject, place, new Date()).allow);
    if (!r || !mayPrint || r.status !== 'APPROVED' || !r.activationEnc || !r.activationExpiresAt || r.activationExpiresAt <= new Date()) {
      throw new AppError(ErrorCode.NotFound, 'no activation sheet for this request (not approved, already activated, or expired)');
    }
    const [org] = await this.#repo.organizationNames([r.organizationId]);
    const scopeName = r.scopeId ? (await this.#access.scopeNames([r.scopeId])).get(r.scopeId) ?? '' : (lang === 'vi' ? 'Toàn quốc' : 'Nation');
    const pdf = await activationSheetPdf({
      fullName: r.fullName, position: r.position, organization: org?.name ?? '', username: r.username,
      role: lang === 'vi' ? ROLE_RULES[r.role].labelVi : ROLE_RULES[r.role].labelEn, scope: scopeName,
      link: this.#link(this.#deps.box.open(r.activationEnc), origin), expiresAt: r.activationExpiresAt,
    }, lang);
    await this.#audit.append({ actorId: caller.userId, action: 'activation.sheet', target: `request:${id}`, address: caller.address, details: { username: r.username } });
    return { pdf, username: r.username };
  }
}
