// The access policy against a written expectation table, for every demo person and every
// demo camera; and the rules for granting. Pure: no database (the integration tests run the
// same table through the database and the signaling server).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideAuthority, decideDuty, decideGrant, decideView, holdsDuty, requiresSecondFactor, type Subject } from '../../server/access/policy.js';
import { pagesFor } from '../../server/access/permissions.js';
import type { Place } from '../../server/places/place.js';
import { DEMO_FACILITIES, DEMO_IDS, DEMO_USERS } from '../../server/demo/demo-province.js';
import { CAMERA_COLUMNS, EXPECTED_VIEW, type CameraColumn } from '../support/access-expectations.js';

const NOW = new Date('2026-11-22T10:00:00Z');
const DAY = 86_400_000;

function subjectOf(username: string): Subject {
  const u = DEMO_USERS.find((x) => x.username === username)!;
  return {
    userId: `user-${username}`,
    status: u.status ?? 'ACTIVE',
    assignments: u.roles.map((r, i) => ({
      id: `${username}-${i}`, role: r.role, scopeType: r.scopeType, scopeId: r.scopeId, effect: r.effect ?? 'ALLOW',
      expiresAt: r.expired ? new Date(NOW.getTime() - DAY) : null, revokedAt: null,
    })),
    spotChecks: (u.spotChecks ?? []).map((s, i) => ({
      id: `${username}-spot-${i}`, facilityId: s.facilityId, cameraIds: [],
      startsAt: new Date(NOW.getTime() - (s.running ? 3600_000 : 2 * DAY)),
      endsAt: new Date(NOW.getTime() + (s.running ? 3600_000 : -DAY)), cancelledAt: null,
    })),
  };
}

const provinceOf: Record<string, string> = { [DEMO_IDS.pleiku]: DEMO_IDS.gialai, [DEMO_IDS.chuSe]: DEMO_IDS.gialai, [DEMO_IDS.konTumCity]: DEMO_IDS.konTum };
function cameraIn(facilityId: string): Place {
  const f = DEMO_FACILITIES.find((x) => x.id === facilityId)!;
  return { cameraId: `cam-${facilityId}`, facilityId, facilityKind: f.kind, units: [provinceOf[f.unitId]!, f.unitId] };
}

const CAMERAS: Record<CameraColumn, Place> = {
  military: cameraIn(DEMO_IDS.military),
  hotel: cameraIn(DEMO_IDS.hotel),
  school: cameraIn(DEMO_IDS.school),
  checkpoint: cameraIn(DEMO_IDS.checkpoint),
  konTum: cameraIn(DEMO_IDS.hospitalKonTum),
  unassigned: { cameraId: 'cam-unassigned' },
};

test('every demo person x every demo camera matches the expectation table', () => {
  assert.equal(EXPECTED_VIEW.length, DEMO_USERS.length, 'the table covers every demo person');
  const mismatches: string[] = [];
  for (const { username, allowed } of EXPECTED_VIEW) {
    const subject = subjectOf(username);
    for (const cam of CAMERA_COLUMNS) {
      const d = decideView(subject, CAMERAS[cam], NOW);
      if (d.allow !== allowed[cam]) mismatches.push(`${username} x ${cam}: expected ${allowed[cam]}, got ${JSON.stringify(d)}`);
    }
  }
  assert.deepEqual(mismatches, []);
});

test('decisions say why, and allows carry their end time', () => {
  assert.deepEqual(decideView(subjectOf('soyte-tamdung'), CAMERAS.hotel, NOW), { allow: false, reason: 'inactive-account' });
  assert.deepEqual(decideView(subjectOf('soyte-chan'), CAMERAS.hotel, NOW), { allow: false, reason: 'denied' });
  assert.deepEqual(decideView(subjectOf('vanhanh'), CAMERAS.hotel, NOW), { allow: false, reason: 'no-grant' });
  const spot = decideView(subjectOf('thanhtra'), CAMERAS.school, NOW);
  assert.equal(spot.allow, true);
  assert.ok(spot.allow && spot.via.startsWith('spot-check:') && spot.until!.getTime() === NOW.getTime() + 3600_000);
  // The spot check ends by itself.
  assert.equal(decideView(subjectOf('thanhtra'), CAMERAS.school, new Date(NOW.getTime() + 3600_000)).allow, false);
  // Without the inspector role, a spot check gives nothing.
  const s = subjectOf('thanhtra');
  s.assignments[0]!.revokedAt = NOW;
  assert.equal(decideView(s, CAMERAS.school, NOW).allow, false);
});

test('a deny at any level beats an allow at any other', () => {
  const s = subjectOf('quocgia');
  s.assignments.push({ id: 'deny-province', role: 'NATIONAL_MONITOR', scopeType: 'UNIT', scopeId: DEMO_IDS.konTum, effect: 'DENY', expiresAt: null, revokedAt: null });
  assert.equal(decideView(s, CAMERAS.konTum, NOW).allow, false);
  assert.equal(decideView(s, CAMERAS.hotel, NOW).allow, true);
  s.assignments.push({ id: 'deny-camera', role: 'NATIONAL_MONITOR', scopeType: 'CAMERA', scopeId: CAMERAS.hotel.cameraId!, effect: 'DENY', expiresAt: null, revokedAt: null });
  assert.equal(decideView(s, CAMERAS.hotel, NOW).allow, false);
  // An expired deny no longer applies.
  s.assignments.at(-1)!.expiresAt = new Date(NOW.getTime() - 1);
  assert.equal(decideView(s, CAMERAS.hotel, NOW).allow, true);
});

test('nobody grants wider than their own scope, a role where it does not belong, or to themself', () => {
  const province = subjectOf('quantri');
  const nation = subjectOf('quantri-tw');
  const gialai: Place = { units: [DEMO_IDS.gialai] };
  const hotel: Place = { units: [DEMO_IDS.gialai, DEMO_IDS.pleiku], facilityId: DEMO_IDS.hotel, facilityKind: 'CIVILIAN_QUARANTINE' };
  const konTum: Place = { units: [DEMO_IDS.konTum] };
  const grant = (who: Subject, role: any, scopeType: any, scopeId: string | null, place: Place, userId = 'someone') =>
    decideGrant(who, { userId, role, scopeType, scopeId }, place, NOW);

  assert.deepEqual(grant(province, 'FACILITY_LEADER', 'FACILITY', DEMO_IDS.hotel, hotel), { allow: true });
  assert.deepEqual(grant(province, 'PROVINCIAL_HEALTH_MONITOR', 'UNIT', DEMO_IDS.gialai, gialai), { allow: true });
  assert.deepEqual(grant(province, 'NATIONAL_MONITOR', 'NATION', null, {}), { allow: false, reason: 'outside-own-scope' });
  assert.deepEqual(grant(province, 'PROVINCIAL_HEALTH_MONITOR', 'UNIT', DEMO_IDS.konTum, konTum), { allow: false, reason: 'outside-own-scope' });
  assert.deepEqual(grant(province, 'SCOPE_ADMIN', 'NATION', null, {}), { allow: false, reason: 'outside-own-scope' });
  assert.deepEqual(grant(province, 'FACILITY_LEADER', 'UNIT', DEMO_IDS.gialai, gialai), { allow: false, reason: 'role-not-at-scope' });
  assert.deepEqual(grant(province, 'NATIONAL_MONITOR', 'UNIT', DEMO_IDS.gialai, gialai), { allow: false, reason: 'role-not-at-scope' });
  assert.deepEqual(grant(province, 'SCOPE_ADMIN', 'UNIT', DEMO_IDS.gialai, gialai, province.userId), { allow: false, reason: 'self' });
  assert.deepEqual(grant(nation, 'NATIONAL_MONITOR', 'NATION', null, {}), { allow: true });
  // Viewing roles hold no authority to grant.
  assert.deepEqual(grant(subjectOf('soyte'), 'FACILITY_LEADER', 'FACILITY', DEMO_IDS.hotel, hotel), { allow: false, reason: 'outside-own-scope' });
  const suspended = subjectOf('quantri');
  suspended.status = 'SUSPENDED';
  assert.deepEqual(grant(suspended, 'FACILITY_LEADER', 'FACILITY', DEMO_IDS.hotel, hotel), { allow: false, reason: 'inactive-account' });
});

test('authority to administer a place: scope admins inside their scope, never over themselves', () => {
  const hotel: Place = { units: [DEMO_IDS.gialai, DEMO_IDS.pleiku], facilityId: DEMO_IDS.hotel, facilityKind: 'CIVILIAN_QUARANTINE' };
  const province = subjectOf('quantri');
  assert.deepEqual(decideAuthority(province, hotel, NOW, 'someone'), { allow: true });
  assert.deepEqual(decideAuthority(province, { units: [DEMO_IDS.konTum] }, NOW), { allow: false, reason: 'outside-own-scope' });
  assert.deepEqual(decideAuthority(province, {}, NOW), { allow: false, reason: 'outside-own-scope' });
  assert.deepEqual(decideAuthority(province, hotel, NOW, province.userId), { allow: false, reason: 'self' });
  assert.deepEqual(decideAuthority(subjectOf('quantri-tw'), {}, NOW), { allow: true });
  assert.deepEqual(decideAuthority(subjectOf('soyte'), hotel, NOW), { allow: false, reason: 'outside-own-scope' });
});


test('duties: the connection report follows each monitor\'s scope and facility kinds; operations is ops only', () => {
  const cols = ['military', 'hotel', 'school', 'checkpoint', 'konTum', 'unassigned'] as const;
  const row = (username: string, duty: 'uptime-report' | 'operations') => cols.map((c) => (decideDuty(subjectOf(username), duty, CAMERAS[c], NOW) ? 'Y' : '.')).join('');
  //                                            mil hot sch chk KT  unassigned
  assert.equal(row('quocgia', 'uptime-report'), 'YYYYYY');
  assert.equal(row('soyte', 'uptime-report'), 'YYY...', 'health department: quarantine facilities of Gia Lai');
  assert.equal(row('quansu', 'uptime-report'), 'Y.....', 'military command: military-run facilities');
  assert.equal(row('congan', 'uptime-report'), '...Y..', 'police: checkpoints');
  assert.equal(row('soyte-chan', 'uptime-report'), 'Y.Y...', 'a deny over the hotel hides it');
  assert.equal(row('vanhanh', 'uptime-report'), 'YYYYYY');
  assert.equal(row('vanhanh', 'operations'), 'YYYYYY');
  assert.equal(row('kythuat', 'uptime-report'), '.Y....', 'the installer follows the connection of the facility they connect');
  assert.equal(row('kythuat', 'operations'), '......');
  for (const username of ['khachsan', 'thanhtra', 'quantri', 'soyte-tamdung', 'soyte-hethan']) {
    assert.equal(row(username, 'uptime-report'), '......', username);
    assert.equal(holdsDuty(subjectOf(username), 'uptime-report', NOW), false, username);
  }
  assert.equal(row('quocgia', 'operations'), '......', 'watching is not operating');
  assert.equal(holdsDuty(subjectOf('vanhanh'), 'operations', NOW), true);
  assert.equal(decideDuty(subjectOf('vanhanh'), 'operations', {}, NOW), true, 'nation-wide ops covers the whole node');
  assert.equal(decideDuty(subjectOf('soyte'), 'uptime-report', {}, NOW), false, 'a province is not the nation');
});

test('pages: each person lands where their work is, and is offered only what they may use', () => {
  const pages = (username: string) => {
    const p = pagesFor(subjectOf(username), NOW);
    return `${p.home}: ${p.pages.join(' ')}${p.rolesEnded ? ' (roles ended)' : ''}`;
  };
  const monitor = 'wall: wall incidents recordings ops drive account';
  assert.equal(pages('quocgia'), monitor);
  assert.equal(pages('soyte'), 'wall: wall incidents recordings ops drive lists account', 'the health department\'s focal point sends its lists');
  assert.equal(pages('quansu'), monitor);
  assert.equal(pages('congan'), monitor);
  assert.equal(pages('soyte-chan'), monitor);
  assert.equal(pages('khachsan'), 'wall: wall incidents recordings account');
  assert.equal(pages('thanhtra'), 'wall: wall incidents recordings account', 'inspectors watch through spot checks');
  assert.equal(pages('kythuat'), 'ops: ops drive places account');
  assert.equal(pages('vanhanh'), 'ops: ops drive account');
  assert.equal(pages('quantri'), 'account: places people investigation lists account');
  assert.equal(pages('quantri-tw'), 'account: places people investigation lists account');
  assert.equal(pages('soyte-hethan'), 'account: account (roles ended)');
  assert.equal(pages('soyte-tamdung'), 'account: account (roles ended)', 'a suspended account holds nothing live');
  // A revoked role counts like an expired one.
  const s = subjectOf('khachsan');
  s.assignments[0]!.revokedAt = NOW;
  assert.equal(pagesFor(s, NOW).rolesEnded, true);
});

test('the second factor: every role beyond one facility, and installers and ops wherever they are', () => {
  const needs = DEMO_USERS.filter((u) => requiresSecondFactor(subjectOf(u.username), NOW)).map((u) => u.username);
  assert.deepEqual(needs, ['quocgia', 'soyte', 'quansu', 'congan', 'thanhtra', 'kythuat', 'vanhanh', 'quantri', 'quantri-tw', 'soyte-chan', 'soyte-tamdung']);
  // A facility leader at one camera needs none; an installer at one facility does.
  const leader: Subject = { userId: 'x', status: 'ACTIVE', spotChecks: [], assignments: [{ id: 'a', role: 'FACILITY_LEADER', scopeType: 'CAMERA', scopeId: 'c', effect: 'ALLOW', expiresAt: null, revokedAt: null }] };
  assert.equal(requiresSecondFactor(leader, NOW), false);
  leader.assignments[0]!.role = 'INSTALLER';
  assert.equal(requiresSecondFactor(leader, NOW), true);
  // An expired role asks for nothing.
  assert.equal(requiresSecondFactor(subjectOf('soyte-hethan'), NOW), false);
});

test('scopes follow whatever levels the unit list has: three levels, and the 2025 shape without districts', () => {
  const monitor = (scopeId: string): Subject => ({
    userId: 'm', status: 'ACTIVE', spotChecks: [],
    assignments: [{ id: `a-${scopeId}`, role: 'PROVINCIAL_HEALTH_MONITOR', scopeType: 'UNIT', scopeId, effect: 'ALLOW', expiresAt: null, revokedAt: null }],
  });
  // Province > district > commune > facility (before 2025), and province > commune (after).
  const deep: Place = { units: ['prov', 'dist', 'commune'], facilityId: 'f1', facilityKind: 'CIVILIAN_QUARANTINE', cameraId: 'c1' };
  const flat: Place = { units: ['prov', 'commune-2025'], facilityId: 'f2', facilityKind: 'CIVILIAN_QUARANTINE', cameraId: 'c2' };
  for (const scope of ['prov', 'dist', 'commune']) assert.equal(decideView(monitor(scope), deep, NOW).allow, true, `a monitor of ${scope} sees a camera three levels down`);
  assert.equal(decideView(monitor('commune-2025'), deep, NOW).allow, false, 'another commune');
  assert.equal(decideView(monitor('prov'), flat, NOW).allow, true);
  assert.equal(decideView(monitor('commune-2025'), flat, NOW).allow, true);
  assert.equal(decideView(monitor('dist'), flat, NOW).allow, false, 'a district that the 2025 shape no longer has');
  // Authority follows the same containment.
  const admin: Subject = { ...monitor('x'), assignments: [{ id: 'adm', role: 'SCOPE_ADMIN', scopeType: 'UNIT', scopeId: 'dist', effect: 'ALLOW', expiresAt: null, revokedAt: null }] };
  assert.deepEqual(decideAuthority(admin, deep, NOW), { allow: true });
  assert.deepEqual(decideAuthority(admin, { units: ['prov'] }, NOW), { allow: false, reason: 'outside-own-scope' });
  assert.deepEqual(decideAuthority(admin, flat, NOW), { allow: false, reason: 'outside-own-scope' });
});
