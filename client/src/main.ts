// The supervision page: camera list with live health, a grid of 1 or 4 tiles that play
// without further clicks, language switch.
import type { CameraSummary } from '../../server/cameras/CameraRegistry.js';
import { currentSession, enrollTotp, renew, signIn, signOut } from './auth.js';
import { currentLang, setLang, t } from './i18n.js';
import { MediaClient } from './MediaClient.js';
import { connect, request, type ClientSocket } from './signaling.js';
import { Tile } from './Tile.js';

const loginForm = document.getElementById('login') as HTMLFormElement;
const who = document.getElementById('who')!;
const signOutButton = document.getElementById('sign-out') as HTMLButtonElement;
let socket!: ClientSocket;
let media!: MediaClient;

const list = document.getElementById('camera-list')!;
const grid = document.getElementById('grid')!;
const banner = document.getElementById('banner')!;
let cameras: CameraSummary[] = [];
let layout = Number(new URLSearchParams(location.search).get('layout') ?? 4) === 1 ? 1 : 4;
const tiles: Tile[] = [];
let selected = 0;

function render(): void {
  document.title = t('title');
  document.getElementById('login-title')!.textContent = t('signIn');
  document.getElementById('login-submit')!.textContent = t('signIn');
  document.getElementById('username-label')!.textContent = t('username');
  document.getElementById('password-label')!.textContent = t('password');
  document.getElementById('login-notice')!.textContent = t('notice');
  document.getElementById('totp-label')!.textContent = t('totp');
  signOutButton.textContent = t('signOut');
  document.getElementById('title')!.textContent = t('title');
  document.getElementById('cameras-heading')!.textContent = t('cameras');
  document.getElementById('lang')!.textContent = t('language');
  document.getElementById('layout-label')!.textContent = t('layout');
  list.replaceChildren(...(cameras.length ? cameras.map(cameraItem) : [Object.assign(document.createElement('li'), { textContent: t('noCameras') })]));
  for (const tile of tiles) tile.relabel();
}

function cameraItem(c: CameraSummary): HTMLElement {
  const li = document.createElement('li');
  li.dataset.cameraId = c.id;
  li.innerHTML = '<span class="dot"></span><span class="cam-name"></span>';
  li.querySelector('.cam-name')!.textContent = c.name;
  li.querySelector('.dot')!.className = `dot state-${c.health.state}`;
  li.title = t(`state.${c.health.state}`) + (c.health.reason ? ` – ${c.health.reason}` : '');
  li.onclick = () => {
    tiles[selected]?.show(c);
  };
  return li;
}

function setLayout(n: 1 | 4): void {
  layout = n;
  if (!media) return; // applied once signed in
  grid.className = `grid layout-${n}`;
  while (tiles.length < n) {
    const tile = new Tile(media, 'main');
    const index = tiles.length;
    tile.el.onclick = () => selectTile(index);
    tile.el.ondblclick = () => setLayout(layout === 1 ? 4 : 1);
    tiles.push(tile);
  }
  for (const [i, tile] of tiles.entries()) {
    tile.el.hidden = i >= n;
    if (i >= n) tile.show(undefined);
  }
  grid.replaceChildren(...tiles.map((x) => x.el));
  fillEmptyTiles();
  document.querySelectorAll<HTMLButtonElement>('[data-layout]').forEach((b) => b.classList.toggle('active', Number(b.dataset.layout) === n));
}

function selectTile(i: number): void {
  selected = i;
  tiles.forEach((x, j) => x.el.classList.toggle('selected', j === i));
}

/** Puts cameras not yet shown into empty visible tiles, in list order. */
function fillEmptyTiles(): void {
  const shown = new Set(tiles.map((x) => x.cameraId).filter(Boolean));
  const queue = cameras.filter((c) => !shown.has(c.id));
  for (const tile of tiles.slice(0, layout)) {
    if (!tile.cameraId && queue.length) tile.show(queue.shift());
  }
}

async function refreshCameras(): Promise<void> {
  cameras = await request(socket, 'listCameras', {});
  const known = new Set(cameras.map((c) => c.id));
  for (const tile of tiles) if (tile.cameraId && !known.has(tile.cameraId)) tile.show(undefined);
  render();
  fillEmptyTiles();
}

/** Connects once signed in: the socket's handshake carries the access token. */
function startApp(): void {
  socket = connect(() => currentSession()?.accessToken);
  media = new MediaClient(socket);
  socket.on('cameraHealth', ({ cameraId, stream, health }) => {
    const cam = cameras.find((c) => c.id === cameraId);
    if (!cam) return;
    if (stream === 'main') cam.health = health;
    else cam.subHealth = health;
    const li = list.querySelector<HTMLElement>(`[data-camera-id="${cameraId}"]`);
    if (li) li.replaceWith(cameraItem(cam));
    for (const tile of tiles) if (tile.cameraId === cameraId && tile.stream === stream) tile.setHealth(health);
  });
  socket.on('cameraClock', ({ cameraId, stream, clock }) => {
    for (const tile of tiles) tile.setClock(cameraId, stream, clock);
  });
  socket.on('camerasChanged', () => void refreshCameras());
  socket.on('consumerClosed', ({ consumerId, reason }) => {
    for (const tile of tiles) tile.onConsumerClosed(consumerId, reason);
  });
  let everConnected = false;
  socket.on('connect', () => {
    banner.hidden = true;
    void refreshCameras().then(() => {
      if (everConnected) for (const tile of tiles) tile.resubscribe();
      everConnected = true;
    });
  });
  socket.on('disconnect', () => {
    banner.textContent = t('disconnected');
    banner.hidden = false;
  });
  socket.on('connect_error', (err) => {
    const code = (err as Error & { data?: { code?: string } }).data?.code;
    if (code === 'UNAUTHENTICATED') {
      // The access token expired (or the account changed): renew once, else sign in again.
      void renew().then((s) => (s ? socket.connect() : showLogin()));
      return;
    }
    banner.textContent = `${t('disconnected')} (${err.message})`;
    banner.hidden = false;
  });
  setLayout(layout as 1 | 4);
  selectTile(0);
}

function showLogin(): void {
  document.body.classList.add('signed-out');
  loginForm.hidden = false;
  who.textContent = '';
  signOutButton.hidden = true;
  (loginForm.elements.namedItem('username') as HTMLInputElement).focus();
}

function showApp(fullName: string): void {
  document.body.classList.remove('signed-out');
  loginForm.hidden = true;
  who.textContent = fullName;
  signOutButton.hidden = false;
  if (!socket) startApp();
  else if (!socket.connected) socket.connect();
}

/** Where the sign-in stands: password only, a code for an enrolled factor, or an enrolment. */
let pendingEnrollment: string | undefined;
const totpField = document.getElementById('totp-field')!;
const enrollBox = document.getElementById('enroll')!;

function askForCode(enrollment?: { enrollmentToken: string; secret: string; uri: string }): void {
  totpField.hidden = false;
  (loginForm.elements.namedItem('totp') as HTMLInputElement).required = true;
  pendingEnrollment = enrollment?.enrollmentToken;
  enrollBox.hidden = !enrollment;
  if (enrollment) {
    document.getElementById('enroll-help')!.textContent = t('enrollHelp');
    document.getElementById('enroll-secret')!.textContent = enrollment.secret;
    const link = document.getElementById('enroll-uri') as HTMLAnchorElement;
    link.href = enrollment.uri;
    link.textContent = enrollment.uri;
  } else {
    document.getElementById('login-error')!.textContent = t('totpAsk');
  }
  (loginForm.elements.namedItem('totp') as HTMLInputElement).focus();
}

loginForm.onsubmit = (ev) => {
  ev.preventDefault();
  const data = new FormData(loginForm);
  const error = document.getElementById('login-error')!;
  error.textContent = '';
  const code = String(data.get('totp') ?? '') || undefined;
  const attempt = pendingEnrollment && code
    ? enrollTotp(pendingEnrollment, code).then((session) => ({ kind: 'session' as const, session }))
    : signIn(String(data.get('username')), String(data.get('password')), code);
  attempt
    .then((r) => {
      if (r.kind === 'session') {
        loginForm.reset();
        totpField.hidden = true;
        enrollBox.hidden = true;
        pendingEnrollment = undefined;
        showApp(r.session.fullName);
      } else askForCode(r.kind === 'enroll' ? r : undefined);
    })
    .catch((err: Error) => (error.textContent = `${t('signInFailed')}: ${err.message}`));
};
signOutButton.onclick = () => void signOut().then(() => location.reload());

document.getElementById('lang')!.onclick = () => {
  setLang(currentLang() === 'vi' ? 'en' : 'vi');
  render();
};
document.querySelectorAll<HTMLButtonElement>('[data-layout]').forEach((b) => {
  b.onclick = () => setLayout(Number(b.dataset.layout) === 1 ? 1 : 4);
});

setLang(currentLang());
render();
const session = currentSession();
if (session) showApp(session.fullName);
else showLogin();

// For tests and benchmarks: read-only view of the tiles.
(window as unknown as { giamsat: unknown }).giamsat = { tiles };
