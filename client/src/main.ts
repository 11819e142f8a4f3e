// The supervision page: camera list with live health, a grid of 1 or 4 tiles that play
// without further clicks, language switch.
import type { CameraSummary } from '../../server/cameras/CameraRegistry.js';
import { currentSession, renew, signOut } from './auth.js';
import { currentLang, setLang, t } from './i18n.js';
import { LoginForm } from './login-form.js';
import { MediaClient } from './MediaClient.js';
import { connect, request, type ClientSocket } from './signaling.js';
import { Tile } from './Tile.js';

const loginForm = new LoginForm((session) => showApp(session.fullName));
document.querySelector('header')!.after(loginForm.el);
const who = document.getElementById('who')!;
const signOutButton = document.getElementById('sign-out') as HTMLButtonElement;
let socket!: ClientSocket;
let media!: MediaClient;

const list = document.getElementById('camera-list')!;
const grid = document.getElementById('grid')!;
const banner = document.getElementById('banner')!;
let cameras: CameraSummary[] = [];
type Layout = 1 | 4 | 9 | 16;
const LAYOUTS: readonly Layout[] = [1, 4, 9, 16];
const asLayout = (n: number): Layout => (LAYOUTS.includes(n as Layout) ? (n as Layout) : 4);
let layout: Layout = asLayout(Number(new URLSearchParams(location.search).get('layout') ?? 4));
/** The grid to return to when a maximized tile (layout 1) is double-clicked again. */
let gridLayout: Layout = layout === 1 ? 4 : layout;
const tiles: Tile[] = [];
let selected = 0;

function render(): void {
  document.title = t('title');
  loginForm.relabel();
  signOutButton.textContent = t('signOut');
  document.getElementById('title')!.textContent = t('title');
  document.getElementById('cameras-heading')!.textContent = t('cameras');
  document.getElementById('lang')!.textContent = t('language');
  document.getElementById('layout-label')!.textContent = t('layout');
  document.getElementById('nav-recordings')!.textContent = t('nav.recordings');
  document.getElementById('nav-ops')!.textContent = t('nav.ops');
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

function setLayout(n: Layout): void {
  layout = n;
  if (n !== 1) gridLayout = n;
  if (!media) return; // applied once signed in
  grid.className = `grid layout-${n}`;
  while (tiles.length < n) {
    const tile = new Tile(media, 'main');
    tile.el.onclick = () => selectTile(tiles.indexOf(tile));
    tile.el.ondblclick = () => {
      if (layout !== 1) {
        // Maximize this tile: it takes the first place, which layout 1 shows.
        tiles.splice(tiles.indexOf(tile), 1);
        tiles.unshift(tile);
        selectTile(0);
      }
      setLayout(layout === 1 ? gridLayout : 1);
    };
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
  setLayout(layout);
  selectTile(0);
}

function showLogin(): void {
  document.body.classList.add('signed-out');
  loginForm.show();
  who.textContent = '';
  signOutButton.hidden = true;
}

function showApp(fullName: string): void {
  document.body.classList.remove('signed-out');
  loginForm.hide();
  who.textContent = fullName;
  signOutButton.hidden = false;
  if (!socket) startApp();
  else if (!socket.connected) socket.connect();
}

signOutButton.onclick = () => void signOut().then(() => location.reload());

document.getElementById('lang')!.onclick = () => {
  setLang(currentLang() === 'vi' ? 'en' : 'vi');
  render();
};
document.querySelectorAll<HTMLButtonElement>('[data-layout]').forEach((b) => {
  b.onclick = () => setLayout(asLayout(Number(b.dataset.layout)));
});

setLang(currentLang());
render();
const session = currentSession();
if (session) showApp(session.fullName);
else showLogin();

// For tests and benchmarks: read-only view of the tiles.
(window as unknown as { giamsat: unknown }).giamsat = { tiles };
