// The OpenAPI 3.1 description of the HTTP API, built from the same zod schemas that
// validate the requests (z.toJSONSchema), so the document cannot drift from the code.
// Served at /api/openapi.json.
import { z } from 'zod';
import { Permission } from '../access/permissions.js';
import type { DeclaredRoute } from './handler.js';
import { cameraInputSchema, cameraPatchSchema } from '../cameras/camera.schema.js';
import { commentBody, incidentBody, resolveBody } from './incident-routes.js';
import { probeBody } from './camera-probe-route.js';
import { facilityBody, facilityPatch, organizationBody, organizationPatch, surveyBody } from '../places/facility.schema.js';
import { enrollBody, grantBody, loginBody, passwordBody, refreshBody, requestBody, spotCheckBody, statusBody } from './access-routes.js';
import { activateBody, decisionBody, listBody } from './request-routes.js';
import { wallBody } from './wall-routes.js';
import { reasonBody } from './people-routes.js';

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  body?: z.ZodType;
  query?: Record<string, string>;
  ok: number;
}

export const OPERATIONS: Operation[] = [
  { method: 'get', path: '/readyz', summary: 'Whether this node serves: the database, the media workers and the audit log (ready or not ready, 200 or 503, without internal error text)', ok: 200 },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics: with the deployment\'s scrape token as the bearer, or an ops account at nation scope (the metrics name every camera of the node)', ok: 200 },
  { method: 'post', path: '/api/auth/login', summary: 'Sign in with username, password and (for roles above facility scope) a TOTP code; returns an access token (JWT, 10 min) and a refresh token, or TOTP_REQUIRED, or a TOTP enrolment to complete', body: loginBody, ok: 200 },
  { method: 'post', path: '/api/auth/totp', summary: 'Complete the second-factor enrolment that sign-in started, with the first code from the authenticator app', body: enrollBody, ok: 200 },
  { method: 'post', path: '/api/auth/refresh', summary: 'Exchange a refresh token for new tokens (each refresh token works once)', body: refreshBody, ok: 200 },
  { method: 'post', path: '/api/auth/logout', summary: 'End a refresh token', body: refreshBody, ok: 204 },
  { method: 'post', path: '/api/auth/activate', summary: 'Set the password of an approved account with its one-time activation token (strength checked); 200 with a second-factor enrolment (completed by /api/auth/totp) when the role needs one, else 204', body: activateBody, ok: 204 },
  { method: 'get', path: '/api/info', summary: 'What every page says about this deployment before sign-in: whether it is a demo (accounts with published passwords)', ok: 200 },
  { method: 'get', path: '/api/me', summary: 'The signed-in person, organization and role assignments (with scope names and state), the pages they may use and the one they land on, and whom to ask when no role is live', ok: 200 },
  { method: 'get', path: '/api/me/wall', summary: 'The signed-in person\'s saved video wall (cameras they may no longer watch come back as empty tiles), with the summaries of the cameras on it', ok: 200 },
  { method: 'get', path: '/api/media/capabilities', summary: 'The media routers\' RTP capabilities, which the browser\'s mediasoup Device loads (public: what any WebRTC offer of the server shows)', ok: 200 },
  { method: 'put', path: '/api/me/wall', summary: 'Save the video wall: layout 1, 4, 9 or 16 and camera ids by tile', body: wallBody, ok: 200 },
  { method: 'get', path: '/api/me/spot-checks', summary: 'The signed-in inspector\'s spot checks that have not ended, with their cameras', ok: 200 },
  { method: 'post', path: '/api/incidents', summary: 'File an incident on a camera the caller may watch (category, note, time)', body: incidentBody, ok: 201 },
  { method: 'put', path: '/api/incidents/{id}/snapshot', summary: 'Attach the captured frame (body: image/jpeg, at most 1.5 MB), by the filer, once, within 10 minutes', ok: 204 },
  { method: 'get', path: '/api/incidents', summary: 'Incidents the caller may see in a period', query: { from: 'ISO time', to: 'ISO time', facilityId: 'uuid (optional)', status: 'OPEN | RESOLVED (optional)' }, ok: 200 },
  { method: 'get', path: '/api/incidents/export', summary: 'The same as CSV or PDF, audited', query: { from: 'ISO time', to: 'ISO time', facilityId: 'uuid (optional)', status: 'OPEN | RESOLVED (optional)', format: 'csv | pdf', lang: 'vi | en', tz: 'IANA time zone' }, ok: 200 },
  { method: 'get', path: '/api/incidents/{id}', summary: 'One incident with its comments', ok: 200 },
  { method: 'get', path: '/api/incidents/{id}/snapshot', summary: 'The captured frame (image/jpeg), audited', ok: 200 },
  { method: 'post', path: '/api/incidents/{id}/comments', summary: 'Comment on an incident', body: commentBody, ok: 201 },
  { method: 'post', path: '/api/incidents/{id}/resolve', summary: 'Resolve an open incident (needs view access to its camera now)', body: resolveBody, ok: 204 },
  { method: 'post', path: '/api/assignments', summary: 'Grant a role (or a deny) at a scope inside the caller\'s own administrative scope', body: grantBody, ok: 201 },
  { method: 'delete', path: '/api/assignments/{id}', summary: 'Revoke a role assignment; the person\'s affected views stop within 2 s', ok: 204 },
  { method: 'patch', path: '/api/users/{id}/status', summary: 'Suspend, reactivate or revoke an account', body: statusBody, ok: 204 },
  { method: 'post', path: '/api/spot-checks', summary: 'Open a time-limited spot check for an inspector on a facility or cameras', body: spotCheckBody, ok: 201 },
  { method: 'delete', path: '/api/spot-checks/{id}', summary: 'End a spot check early; the inspector\'s views stop within 2 s', ok: 204 },
  { method: 'get', path: '/api/places', summary: 'The facility tree (administrative units of every level > facility > cameras) holding only what the caller may watch', ok: 200 },
  { method: 'get', path: '/api/units', summary: 'The administrative units under a unit (or the top level), with their sub-units, facilities and organizations counted; retired units last', query: { parentId: 'uuid (optional)' }, ok: 200 },
  { method: 'get', path: '/api/units/search', summary: 'Units whose code starts with, or name contains, q', query: { q: 'text', within: 'uuid (optional)', limit: '1-100' }, ok: 200 },
  { method: 'get', path: '/api/units/export', summary: 'The registry as a unit list (CSV: code, name, parent_code, level), to edit and import again', ok: 200 },
  { method: 'get', path: '/api/units/{id}', summary: 'One unit with its ancestors', ok: 200 },
  { method: 'post', path: '/api/units/import', summary: 'Import the official unit list (body: text/csv, at most 8 MB), all or nothing; ?dryRun=1 says what would change. National administrators', query: { dryRun: '0|1' }, ok: 200 },
  { method: 'get', path: '/api/facilities', summary: 'Facilities the caller administers or installs, in a unit (at any depth) or everywhere', query: { within: 'uuid (optional)', retired: '0|1' }, ok: 200 },
  { method: 'get', path: '/api/facilities/{id}', summary: 'One facility the caller administers or installs', ok: 200 },
  { method: 'post', path: '/api/facilities', summary: 'Create a facility in a unit the caller administers', body: facilityBody, ok: 201 },
  { method: 'patch', path: '/api/facilities/{id}', summary: 'Change a facility (audited with the names of the fields changed)', body: facilityPatch, ok: 200 },
  { method: 'put', path: '/api/facilities/{id}/survey', summary: 'Set the survey status and note (the facility\'s installers and administrators)', body: surveyBody, ok: 200 },
  { method: 'post', path: '/api/facilities/{id}/retire', summary: 'Retire a facility that holds no camera', ok: 200 },
  { method: 'get', path: '/api/organizations', summary: 'Organizations in the caller\'s administrative scope', ok: 200 },
  { method: 'post', path: '/api/organizations', summary: 'Create an organization at a unit the caller administers (no unit: a national body)', body: organizationBody, ok: 201 },
  { method: 'patch', path: '/api/organizations/{id}', summary: 'Rename an organization or change its kind', body: organizationPatch, ok: 200 },
  { method: 'post', path: '/api/organizations/{id}/retire', summary: 'Retire an organization', ok: 200 },
  { method: 'get', path: '/api/organizations/{id}/people', summary: 'The people of an organization the caller administers, each with their live roles', ok: 200 },
  { method: 'post', path: '/api/organizations/{id}/people', summary: 'Make an account for a named person of the organization with a first role in the caller\'s scope (audited); returns a one-time activation token valid 72 h. A taken username is refused: no existing account is changed', body: requestBody, ok: 201 },
  { method: 'get', path: '/api/assignments', summary: 'Live role assignments over a place the caller administers: at the place itself (direct) or at a unit or the nation above it', query: { scopeType: 'NATION|UNIT|FACILITY|CAMERA', scopeId: 'uuid (optional)', role: 'role (optional)' }, ok: 200 },
  { method: 'get', path: '/api/people/candidates', summary: 'Active people who could be given a role at a place the caller administers (members of organizations of a kind holding the role, national or in a unit holding the place)', query: { scopeType: 'NATION|UNIT|FACILITY|CAMERA', scopeId: 'uuid (optional)', role: 'role' }, ok: 200 },
  { method: 'post', path: '/api/account-requests', summary: 'Submit a named person for an account (the caller\'s organization requests it)', body: requestBody, ok: 201 },
  { method: 'get', path: '/api/account-requests', summary: 'Pending requests the caller may decide (never their own), with organization, submitter, list and line, scope name', ok: 200 },
  { method: 'post', path: '/api/account-requests/{id}/approve', summary: 'Approve: creates the account with the role (a role request adds the role to its account; no existing account is otherwise changed); returns the one-time activation token and how the person gets it (delivery: sent | failed | off)', body: decisionBody.partial(), ok: 200 },
  { method: 'get', path: '/api/account-requests/{id}/activation-sheet', summary: 'The printable activation sheet (PDF: link and QR code) of an approved new account whose link is unused and unexpired; for the focal point who submitted it and administrators of its scope (audited)', query: { lang: 'vi|en' }, ok: 200 },
  { method: 'get', path: '/api/account-lists/template', summary: 'The account list template (XLSX with the roles and places this focal point may name, or CSV); focal points', query: { format: 'xlsx|csv', lang: 'vi|en' }, ok: 200 },
  { method: 'get', path: '/api/account-lists/choices', summary: 'The roles this focal point\'s organization may ask for and the places its lines may name', ok: 200 },
  { method: 'get', path: '/api/account-lists', summary: 'The lists the caller submitted, each line with its decision, reason and activation (email sent or failed, sheet available)', ok: 200 },
  { method: 'post', path: '/api/account-lists', summary: 'Submit a list typed into the form (1-50 lines); judged whole: any problem refuses it with every problem by line and column, nothing stored', body: listBody, ok: 201 },
  { method: 'post', path: '/api/account-lists/upload', summary: 'Submit a list file as the body (XLSX or CSV, at most 2 MB and 300 people); judged whole as above', query: { name: 'the file name (recorded with the list)' }, ok: 201 },
  { method: 'post', path: '/api/me/password', summary: 'Change the caller\'s own password: the current one is checked, the new one must be strong; every other session of theirs ends', body: passwordBody, ok: 204 },
  { method: 'post', path: '/api/account-requests/{id}/reject', summary: 'Reject with a reason', body: decisionBody, ok: 204 },
  { method: 'get', path: '/api/investigation/cameras/{id}', summary: 'Leak investigation: everyone who watched the camera at a moment (from = to) or during a period, live or through its recordings and snapshots of that time, with organization, position, phone, email, start, end and client address (scope administrators, their scope only); as JSON, or XLSX or PDF (the export is audited)', query: { from: 'date-time', to: 'date-time', format: 'json|xlsx|pdf', lang: 'vi|en' }, ok: 200 },
  { method: 'get', path: '/api/investigation/people/{id}', summary: 'Leak investigation: everything one person watched during a period, on cameras inside the caller\'s scope; JSON, XLSX or PDF', query: { from: 'date-time', to: 'date-time', format: 'json|xlsx|pdf', lang: 'vi|en' }, ok: 200 },
  { method: 'get', path: '/api/people', summary: 'The people directory: people whose organization lies inside the caller\'s scope and whose name, username, phone, email or organization matches (with or without diacritics); scope administrators', query: { q: 'string' }, ok: 200 },
  { method: 'get', path: '/api/people/{id}', summary: 'One person of the directory: profile, organization, every role with scope and validity, second factor enrolled or not, views open now, recent sign-ins', ok: 200 },
  { method: 'post', path: '/api/people/{id}/second-factor/reset', summary: 'Clear a person\'s second factor (they enrol again at their next sign-in; their sessions end), with a reason', body: reasonBody, ok: 204 },
  { method: 'get', path: '/api/audit/views', summary: 'Live views of camera X, or of person U, between two times (scope administrators, their scope only); /api/investigation answers with contacts and played-back material', query: { cameraId: 'uuid', userId: 'uuid', from: 'date-time', to: 'date-time' }, ok: 200 },
  { method: 'get', path: '/api/audit/verify', summary: 'Verify the audit hash chain (scope administrators)', ok: 200 },
  { method: 'get', path: '/api/ops/overview', summary: 'The ops dashboard at this moment: workers, delivery quality, totals, cameras in scope with health, 24 h uptime, last error and viewers (names only with audit authority)', ok: 200 },
  { method: 'get', path: '/api/ops/cluster', summary: 'The cluster as this node sees it (nation-scope ops): every node with its address, role, region, capacity, load and whether it drains; the node that ingests each camera; the cameras this node ingests; the pipes it feeds and takes; its hand-overs. {clustered: false} for a node alone', ok: 200 },
  { method: 'post', path: '/api/ops/cluster/drain', summary: 'Drain this node (nation-scope ops, audited): it takes no new camera and hands those it ingests to other nodes, whose viewers are served from there after a moment; then it can be stopped', ok: 200 },
  { method: 'get', path: '/api/plugins', summary: 'Each plugin\'s state: enabled, version, faults and the last one (for operations)', ok: 200 },
  { method: 'get', path: '/api/reports/uptime', summary: 'The 24/7 connection report for the caller\'s scope: uptime per camera, facility and administrative unit of every level, and the facilities with no camera, never connected or below the threshold (percent); JSON or CSV', query: { from: 'date-time', to: 'date-time', threshold: 'number', format: 'json|csv' }, ok: 200 },
  { method: 'post', path: '/api/cameras/probe', summary: 'Test a camera address from the server within 10 s: reachable or why not (refused, timeout, 401 with the realm, 404), codec, profile, resolution, frame rate, keyframe interval, bitrate, audio, one JPEG frame, and whether the camera could use the direct path (scope administrators, installers)', body: probeBody, ok: 200 },
  { method: 'get', path: '/api/reports/connection', summary: 'The connection drive for the caller\'s scope: per unit (every level) and facility, cameras expected, registered and live, uptime, survey, days left or overdue, installers; facilities not connected, most overdue first; connected facilities per day. JSON, or an XLSX or PDF file (audited)', query: { from: 'date-time', to: 'date-time', format: 'json|xlsx|pdf', lang: 'vi|en' }, ok: 200 },
  { method: 'get', path: '/api/cameras', summary: 'The cameras the caller administers (scope administrators over their facilities, installers of them; never returns URLs)', ok: 200 },
  { method: 'post', path: '/api/cameras', summary: 'Register a camera in a facility the caller administers or installs (without a facility: national administrators)', body: cameraInputSchema.strict(), ok: 201 },
  { method: 'get', path: '/api/cameras/{id}', summary: 'One camera with its health', ok: 200 },
  { method: 'patch', path: '/api/cameras/{id}', summary: 'Change a camera (audited with the names of the fields changed)', body: cameraPatchSchema.strict(), ok: 200 },
  { method: 'delete', path: '/api/cameras/{id}', summary: 'Remove a camera', ok: 204 },
  { method: 'post', path: '/api/cameras/{id}/restart', summary: 'Restart the camera\'s streams now (a person\'s restart: not an outage in the connection report; audited)', ok: 200 },
];

/**
 * The document, with each operation's permission as its route declared it (`x-permission`;
 * `public` ones need no token). An operation without a declared route is a defect of this list.
 */
export function openApiDocument(routes: readonly DeclaredRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const express = op.path.replace(/\{(\w+)\}/g, ':$1');
    const permission = routes.find((r) => r.method === op.method && r.path === express)?.permission;
    if (!permission) throw new Error(`the API document names ${op.method.toUpperCase()} ${op.path}, which no route declares`);
    const params = [
      ...[...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string', format: 'uuid' } })),
      ...Object.entries(op.query ?? {}).map(([name, format]) => ({ name, in: 'query', schema: { type: 'string', format } })),
    ];
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      'x-permission': permission,
      ...(permission === Permission.Public ? { security: [] } : { security: [{ accessToken: [] }] }),
      ...(params.length ? { parameters: params } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(op.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
      responses: {
        [op.ok]: { description: 'success' },
        default: { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Giám sát API', version: '1', description: 'Errors carry a stable code; "not allowed" answers exactly like "not found" (404).' },
    paths,
    components: {
      securitySchemes: {
        accessToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } } },
      },
    },
  };
}
