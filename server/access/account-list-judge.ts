// Judges every line of an account list at once, purely: the person's fields, the role (by its
// code or its name in either language), the scope (by a place's name or code, inside the
// focal point's own), and what the line would do to existing accounts. A line never touches
// an account: a person who already has one (same organization, active) gets a role request on
// it; a taken username of anyone else, or an account that is not active, is a problem.
import { z } from 'zod';
import type { OrganizationKind, Role, ScopeType } from '../db/generated/enums.js';
import type { Place } from '../places/place.js';
import { foldText } from '../util/fold.js';
import type { ListProblem } from '../util/list-problems.js';
import type { ListColumn, ListLine } from './account-list-file.js';
import { personFields } from './person.schema.js';
import { holdsRoleAt, roleFitsOrganization, type Subject } from './policy.js';
import { ROLE_RULES } from './roles.js';

export type LineProblemCode = 'required' | 'bad-value' | 'unknown-role' | 'role-not-for-organization' | 'role-not-requested'
  | 'unknown-scope' | 'ambiguous-scope' | 'role-not-at-scope' | 'username-taken' | 'account-not-active' | 'email-elsewhere'
  | 'duplicate-line' | 'already-pending';
export type LineProblem = ListProblem<LineProblemCode>;

/** A place a line may name as its scope. */
export interface ScopeChoice {
  scopeType: ScopeType;
  scopeId: string | null;
  place: Place;
  name: string;
  /** What a line may write for it besides its name: its id, its official code, "Tỉnh Gia Lai". */
  aliases: string[];
  /** "Tỉnh", "Khách sạn"…, for the template and for telling same-named places apart. */
  kind: string;
}

export interface JudgeContext {
  focalPoint: Subject;
  organization: { id: string; kind: OrganizationKind };
  choices: ScopeChoice[];
  /** Accounts holding a username or an email the list names. */
  accounts: Array<{ id: string; username: string; email: string; organizationId: string; status: string }>;
  /** The organization's requests still waiting for a decision. */
  pending: Array<{ username: string; role: Role; scopeType: ScopeType; scopeId: string | null }>;
  now: Date;
}

/** A line judged good: what its request will be. */
export interface JudgedLine {
  line: number;
  fullName: string;
  position: string;
  phone: string;
  email: string;
  username: string;
  role: Role;
  scopeType: ScopeType;
  scopeId: string | null;
  /** The existing account (same organization, active) the role is for. */
  forUserId: string | null;
}

const COLUMN_NAMES: Record<ListColumn, string> = { fullName: 'Họ và tên', position: 'Chức vụ', phone: 'Điện thoại', email: 'Email', role: 'Vai trò', scope: 'Phạm vi', username: 'Tên đăng nhập' };
const NATION_WORDS = ['toan quoc', 'ca nuoc', 'nation', 'national', 'nationwide'];

/** Roles a list may ask for: focal points are named by a scope administrator, never requested. */
export const requestable = (role: Role): boolean => role !== 'FOCAL_POINT';

/** The role a cell names: its code, or its label in Vietnamese or English, with or without diacritics. */
export function roleNamed(cell: string): Role | undefined {
  const f = foldText(cell.trim()).replace(/[\s_-]+/g, ' ');
  return (Object.keys(ROLE_RULES) as Role[]).find((r) => [r, ROLE_RULES[r].labelVi, ROLE_RULES[r].labelEn].some((n) => foldText(n).replace(/[\s_-]+/g, ' ') === f));
}

/** A username made from an email's local part, lowercased, without diacritics, in the username alphabet. */
export function usernameFromEmail(email: string): string {
  const base = foldText(email.split('@')[0] ?? '').replace(/[^a-z0-9._-]+/g, '.').replace(/^[._-]+|[._-]+$/g, '').slice(0, 44);
  return base.length >= 3 ? base : `nguoidung${base ? `.${base}` : ''}`;
}

export function judgeLines(lines: ListLine[], ctx: JudgeContext): { problems: LineProblem[]; judged: JudgedLine[] } {
  const problems: LineProblem[] = [];
  const judged: JudgedLine[] = [];
  const byUsername = new Map(ctx.accounts.map((a) => [a.username, a]));
  const byEmail = new Map(ctx.accounts.map((a) => [a.email.toLowerCase(), a]));
  const pendingKeys = new Set(ctx.pending.map((p) => `${p.username}|${p.role}|${p.scopeType}|${p.scopeId}`));
  const pendingNames = new Set(ctx.pending.map((p) => p.username));
  // Usernames this list will use, so two of its lines never make the same one.
  const taken = new Set<string>([...byUsername.keys(), ...pendingNames]);
  // New accounts of this list, by email and by username, with their first line.
  const newPeople = new Map<string, number>();
  const newUsernames = new Map<string, number>();
  const seen = new Map<string, number>();
  const aliasIndex = new Map<string, ScopeChoice[]>();
  for (const c of ctx.choices) {
    for (const a of new Set([c.name, ...c.aliases].map((x) => foldText(x.trim())))) aliasIndex.set(a, [...(aliasIndex.get(a) ?? []), c]);
  }

  for (const l of lines) {
    const before = problems.length;
    const problem = (column: ListColumn, code: LineProblemCode, message: string, params?: Record<string, string | number>) =>
      problems.push({ line: l.line, column: COLUMN_NAMES[column], code, message, ...(params ? { params } : {}) });

    const fields = { fullName: personFields.fullName, position: personFields.position, phone: personFields.phone, email: personFields.email } as const;
    const person: Partial<Record<keyof typeof fields, string>> = {};
    for (const [key, schema] of Object.entries(fields) as Array<[keyof typeof fields, z.ZodString]>) {
      if (!l[key]) { problem(key, 'required', 'empty'); continue; }
      const r = schema.safeParse(l[key]);
      if (r.success) person[key] = r.data;
      else problem(key, 'bad-value', `not ${key === 'phone' ? 'a phone number (8 to 20 digits)' : key === 'email' ? 'an email address' : `a valid ${key} (2 to 200 characters)`}: "${l[key].slice(0, 60)}"`, { value: l[key].slice(0, 60) });
    }

    const role = l.role ? roleNamed(l.role) : undefined;
    if (!l.role) problem('role', 'required', 'empty');
    else if (!role) problem('role', 'unknown-role', `no role is called "${l.role.slice(0, 60)}" (the template's second sheet lists them)`, { value: l.role.slice(0, 60) });
    else if (!requestable(role)) problem('role', 'role-not-requested', 'focal points are named by a scope administrator, not requested');
    else if (!roleFitsOrganization(role, ctx.organization.kind)) problem('role', 'role-not-for-organization', `people of this organization do not hold the role "${ROLE_RULES[role].labelEn}"`, { role });

    let scope: ScopeChoice | undefined;
    if (!l.scope) problem('scope', 'required', 'empty');
    else {
      const f = foldText(l.scope.trim());
      const nation = NATION_WORDS.includes(f) ? ctx.choices.filter((c) => c.scopeType === 'NATION') : [];
      const matches = nation.length ? nation : aliasIndex.get(f) ?? [];
      // A role granted at one kind of scope tells same-named places apart (a facility leader's is a facility).
      const fitting = role ? matches.filter((c) => ROLE_RULES[role].scopes.includes(c.scopeType)) : matches;
      if (matches.length === 0) problem('scope', 'unknown-scope', `no place called "${l.scope.slice(0, 60)}" in your scope (the template's second sheet lists them)`, { value: l.scope.slice(0, 60) });
      else if (role && fitting.length === 0) problem('scope', 'role-not-at-scope', `the role "${ROLE_RULES[role].labelEn}" is not granted at ${matches[0]!.kind} "${matches[0]!.name}"`, { role, place: matches[0]!.name });
      else if (fitting.length > 1) problem('scope', 'ambiguous-scope', `several places are called "${l.scope.slice(0, 60)}": write the code from the template instead (${fitting.slice(0, 3).map((c) => c.aliases[0]).join(', ')})`, { value: l.scope.slice(0, 60), codes: fitting.slice(0, 3).map((c) => c.aliases[0]).join(', ') });
      else scope = fitting[0];
      // The choices are the focal point's scope already; a deny inside it still closes a place.
      if (scope && !holdsRoleAt(ctx.focalPoint, 'FOCAL_POINT', scope.place, ctx.now)) {
        problem('scope', 'unknown-scope', `no place called "${l.scope.slice(0, 60)}" in your scope`, { value: l.scope.slice(0, 60) });
        scope = undefined;
      }
    }

    // The account: named by its username, or (no username) found by its email in the organization.
    let username = '';
    let forUserId: string | null = null;
    if (l.username) {
      const u = personFields.username.safeParse(l.username);
      if (!u.success) problem('username', 'bad-value', 'lowercase letters, digits, ".", "_" or "-", 3 to 50', { value: l.username.slice(0, 60) });
      else {
        username = u.data;
        const acc = byUsername.get(username);
        if (acc && acc.organizationId !== ctx.organization.id) problem('username', 'username-taken', `"${username}" is taken: choose another`, { value: username });
        else if (acc && acc.status !== 'ACTIVE') problem('username', 'account-not-active', `the account "${username}" is not active: a scope administrator decides on its return`, { value: username });
        else if (acc) forUserId = acc.id;
      }
    } else if (person.email) {
      const acc = byEmail.get(person.email.toLowerCase());
      if (acc && acc.organizationId === ctx.organization.id && acc.status === 'ACTIVE') {
        username = acc.username;
        forUserId = acc.id;
      } else if (acc && acc.organizationId === ctx.organization.id) {
        problem('email', 'account-not-active', `the account "${acc.username}" with this email is not active: a scope administrator decides on its return`, { value: acc.username });
      } else if (acc) {
        problem('email', 'email-elsewhere', 'this email belongs to an account of another organization: give the username to use', { value: person.email });
      } else {
        const base = usernameFromEmail(person.email);
        username = base;
        for (let n = 2; taken.has(username); n++) username = `${base}${n}`;
      }
    }

    // Lines already wrong are not compared with others: one problem at a time per line.
    if (username && role && scope && problems.length === before) {
      const key = `${username}|${role}|${scope.scopeType}|${scope.scopeId}`;
      const first = seen.get(key);
      const column = l.username ? 'username' : 'email';
      if (first !== undefined) problem(column, 'duplicate-line', `the same as line ${first}`, { other: first });
      else if (pendingKeys.has(key) || (!forUserId && pendingNames.has(username))) problem(column, 'already-pending', 'already requested and waiting for a decision', { value: username });
      else if (!forUserId && newPeople.has(person.email!.toLowerCase())) {
        problem('email', 'duplicate-line', `this person is on line ${newPeople.get(person.email!.toLowerCase())}: a new account starts with one role, ask for more once it exists`, { other: newPeople.get(person.email!.toLowerCase())! });
      } else if (!forUserId && newUsernames.has(username)) problem('username', 'duplicate-line', `line ${newUsernames.get(username)} already asks for "${username}"`, { other: newUsernames.get(username)! });
      if (first === undefined) seen.set(key, l.line);
      if (!forUserId) {
        if (!newPeople.has(person.email!.toLowerCase())) newPeople.set(person.email!.toLowerCase(), l.line);
        if (!newUsernames.has(username)) newUsernames.set(username, l.line);
      }
    }
    if (username) taken.add(username);
    if (problems.length === before) {
      judged.push({ line: l.line, fullName: person.fullName!, position: person.position!, phone: person.phone!, email: person.email!, username, role: role!, scopeType: scope!.scopeType, scopeId: scope!.scopeId, forUserId });
    }
  }
  return { problems, judged };
}
