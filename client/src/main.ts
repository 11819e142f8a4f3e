// The supervision page: the places tree with live health, the video wall (layouts 1/4/9/16,
// drag and drop, saved per person on the server), an inspector's spot checks, and the
// session (sign-in, silent renewal, a clear message when it ends).
import type { CameraSummary } from '../../server/cameras/CameraRegistry.js';
import { ApiError, apiJson, apiSend } from './api.js';
import { accessTokenLifetime, currentSession, keepSessionFresh, onSessionRenewed, renew, signOut } from './auth.js';
import { currentLang, errorText, setLang, t } from './i18n.js';
import { IncidentDialog } from './IncidentDialog.js';
import { LoginForm } from './login-form.js';
import { MediaClient } from './MediaClient.js';
import { enterPage, hidePages, relabelNav, setupMenu, showDemoNotice, type Me } from './nav.js';
import { connect, request, RequestError, type ClientSocket } from './signaling.js';
import { markPhase, phaseReached } from './page-timing.js';
import { SpotChecks, spotCheckPlace } from './SpotChecks.js';
import type { PlacesTree } from './places.js';
import { Tree } from './Tree.js';
import { asLayout, Wall, type WallState } from './Wall.js';

const loginForm = new LoginForm((session) => showApp(session.fullName));
loginForm.mount();
const who = document.getElementById('who')!;
const signOutButton = document.getElementById('sign-out') as HTMLButtonElement;
const grid = document.getElementById('grid')!;
const banner = document.getElementById('banner')!;
const aside = document.querySelector('aside')!;

let socket: ClientSocket | undefined;
let wall: Wall | undefined;
let cameras: CameraSummary[] = [];
const byId = (id: string) => cameras.find((c) => c.id === id);
/** Resolves once the first camera list arrived (the spot-check list can come sooner, over HTTP). */
let camerasLoaded!: () => void;
const camerasReady = new Promise<void>((resolve) => { camerasLoaded = resolve; });
/** Resolves once the first wall is laid out (or could not be). */
let wallDone!: () => void;
const wallLaidOut = new Promise<void>((resolve) => { wallDone = resolve; });
/**
 * What the page asks for only once its first picture is on the screen (or 1.5 s after the wall
 * is laid out; at once when the wall has nothing to show): on a small server, and above all on
 * the embedded database, the page's requests queue behind one another and their answers take
 * the page's main thread, and these are not needed for the picture: who the person is
 * (/api/me, the heaviest of the page's requests: the nav, the figures, a page of their own for
 * those who do not watch), the places tree and the spot checks. Sent as the first consume was
 * answered, they landed during ICE, DTLS and the camera's keyframe, 15-30 ms later to the
 * picture in every cell of an A/B run (docs/performance.md, "tenth pass").
 */
const afterFirstViews = wallLaidOut.then(() => (wall?.tiles.some((tile) => tile.cameraId !== undefined) ? phaseReached('first-frame', 1500) : undefined));
/** ?layout=N opens the wall in that layout (not saved until the person changes something). */
const layoutParam = asLayout(Number(new URLSearchParams(location.search).get('layout')));

const tree = new Tree({
  pick: (camera) => {
    wall?.put(wall.selected, camera);
    foldPlaces(true); // on a phone, back to the picture
  },
  openAll: (list) => wall?.openSet(list),
});
const spotChecks = new SpotChecks({
  open: (check) => void camerasReady.then(() => wall?.openSet(check.cameraIds.map(byId).filter((c): c is CameraSummary => !!c))),
  ended: (check) => {
    showBanner(t('spot.ended', { place: spotCheckPlace(check) }), 'info');
    // The server's list says which cameras are still the person's (a camera may also be
    // covered by their role or another spot check); keepOnly closes the others. Offline,
    // the check's cameras close now and the reconnect's list brings back what remains.
    const closeCheckTiles = () => {
      for (const tile of wall?.tiles ?? []) if (tile.cameraId && check.cameraIds.includes(tile.cameraId)) tile.show(undefined);
    };
    if (!socket?.connected) return closeCheckTiles();
    void refreshCameras(socket).catch(closeCheckTiles);
  },
});
const incidentDialog = new IncidentDialog((message) => showBanner(message, 'info'));
/** On a phone the places list folds above the wall, behind this button (CSS decides when). */
const placesToggle = Object.assign(document.createElement('button'), { id: 'places-toggle', type: 'button' });
placesToggle.setAttribute('aria-controls', 'camera-list');
const foldPlaces = (folded: boolean) => {
  aside.classList.toggle('folded', folded);
  placesToggle.setAttribute('aria-expanded', String(!folded));
  placesToggle.textContent = `${folded ? '▸' : '▾'} ${t('cameras')}`;
};
placesToggle.onclick = () => foldPlaces(!aside.classList.contains('folded'));
aside.replaceChildren(placesToggle, spotChecks.el, Object.assign(document.createElement('h2'), { id: 'cameras-heading' }), tree.el);
foldPlaces(true);
grid.before(spotChecks.bar);

function showBanner(text: string, kind: 'error' | 'info' = 'error'): void {
  banner.textContent = text;
  banner.className = kind;
  banner.hidden = false;
}

function render(): void {
  document.title = t('title');
  loginForm.relabel();
  signOutButton.textContent = t('signOut');
  document.getElementById('title')!.textContent = t('title');
  document.getElementById('cameras-heading')!.textContent = t('cameras');
  document.getElementById('lang')!.textContent = t('language');
  document.getElementById('layout-label')!.textContent = t('layout');
  foldPlaces(aside.classList.contains('folded'));
  figuresButton.textContent = t('figures');
  figuresButton.title = t('figuresHint');
  relabelNav();
  tree.relabel();
  spotChecks.relabel();
  for (const tile of wall?.tiles ?? []) tile.relabel();
}

// ---- the saved wall --------------------------------------------------------------------------

let saveTimer: number | undefined;
/** Saves the wall half a second after the last change (a drag burst is one save). */
function saveWall(state: WallState): void {
  window.clearTimeout(saveTimer);
  saveTimer = window.setTimeout(() => {
    apiSend('PUT', '/api/me/wall', state).catch((err: unknown) => showBanner(t('wall.saveFailed', { message: errorText(err) })));
  }, 500);
}

/** The saved wall, with the summaries of the cameras on it (those the person may still watch). */
type SavedWall = WallState & { updatedAt: string | null; cameras: CameraSummary[] };

/** The saved wall, asked for as the page starts (alongside the socket and the camera list). */
const fetchWall = () => apiJson<SavedWall>('/api/me/wall').catch(() => undefined);

/**
 * Lays out the saved wall as soon as it is in: it describes its own cameras, so its tiles
 * subscribe without waiting for the socket's camera list (their requests wait in the socket's
 * buffer if it is still connecting). A person with nothing saved gets the first cameras of the
 * list, once it is in.
 */
async function restoreWall(w: Wall, savedWall: Promise<SavedWall | undefined>): Promise<void> {
  const saved = await savedWall;
  // The person was quicker than the restore (e.g. opened a spot check as the page came up):
  // what they did stands; the saved wall or an automatic fill would overwrite it.
  if (w.arranged) return;
  if (saved?.updatedAt) {
    const onWall = new Map(saved.cameras.map((c) => [c.id, c]));
    w.restore({ layout: layoutParam ?? asLayout(saved.layout) ?? 4, tiles: saved.tiles }, (id) => byId(id) ?? onWall.get(id));
    return;
  }
  await camerasReady;
  if (w.arranged) return;
  // Nothing arranged yet: the first cameras of the list, in the layout asked for.
  if (layoutParam) w.restore({ layout: layoutParam, tiles: [] }, byId);
  w.fillEmpty(cameras);
}

// ---- the camera list and the tree ------------------------------------------------------------

/**
 * The camera list (over the socket) and the places tree: the wall goes on as soon as the list
 * is in; the tree is drawn when its places arrive as well.
 */
async function refreshCameras(s: ClientSocket): Promise<void> {
  const places = afterFirstViews.then(() => apiJson<PlacesTree>('/api/places')).catch(() => ({ units: [], unassignedCameras: [] }));
  const list = await request(s, 'listCameras', {});
  cameras = list;
  markPhase('cameras');
  camerasLoaded();
  wall?.keepOnly(new Set(list.map((c) => c.id)));
  // The list is newer than the saved wall's summaries the first tiles were laid out from, and
  // this socket hears the cameras' health changes only from now on (it joins their rooms with it).
  for (const tile of wall?.tiles ?? []) {
    const camera = tile.cameraId === undefined ? undefined : byId(tile.cameraId);
    if (!camera) continue;
    tile.setHealth('main', camera.health);
    if (camera.subHealth) tile.setHealth('sub', camera.subHealth);
  }
  // Drawn after the wall is laid out: the tree of a whole province takes the page's main
  // thread for a while, and the first picture should not wait behind it.
  void Promise.all([places, wallLaidOut]).then(([p]) => {
    if (cameras === list) tree.render(p, list);
  });
}

/** Connects once signed in: the socket's handshake carries the access token. */
function startApp(): void {
  const savedWall = fetchWall();
  const s = connect(() => currentSession()?.accessToken);
  socket = s;
  const media = new MediaClient(s, { routerCapabilities: () => apiJson('/api/media/capabilities') });
  media.loadDevice();
  const w = new Wall(grid, media, layoutParam ?? 4, saveWall);
  wall = w;
  w.onCameraDropped = (cameraId, index) => w.put(index, byId(cameraId));
  for (const tile of w.tiles) tile.onReport = (source) => void incidentDialog.open(source);
  s.on('cameraHealth', ({ cameraId, stream, health }) => {
    // The saved wall's tiles play before the camera list is in: they follow their cameras anyway.
    for (const tile of w.tiles) if (tile.cameraId === cameraId) tile.setHealth(stream, health);
    const camera = byId(cameraId);
    if (!camera) return;
    // Kept on the list as well: the tree is drawn from it a moment after the list arrives.
    if (stream === 'main') camera.health = health;
    else camera.subHealth = health;
    tree.setHealth(cameraId, stream, health);
  });
  s.on('cameraClock', ({ cameraId, stream, clock }) => {
    for (const tile of w.tiles) tile.setClock(cameraId, stream, clock);
  });
  s.on('camerasChanged', () => {
    void refreshCameras(s);
    void spotChecks.refresh();
  });
  s.on('consumerClosed', ({ consumerId, reason }) => {
    for (const tile of w.tiles) tile.onConsumerClosed(consumerId, reason);
  });
  let reconnectAfterEnd = false;
  s.on('sessionEnded', ({ reason }) => {
    // The connection's token ran out though the page holds a fresh one (its renewal was lost on
    // the way): connect again with it. Anything else ends the sign-in.
    if (reason === 'expired' && (accessTokenLifetime() ?? 0) > 10) reconnectAfterEnd = true;
    else endSession(t(reason === 'expired' ? 'session.expired' : reason === 'signed-out' ? 'session.signedOut' : 'session.ended'));
  });
  // The connection lives as long as the sign-in's token: each renewal hands the new one on.
  onSessionRenewed((session) => {
    if (socket !== s || !s.connected) return; // a reconnection's handshake carries the new token
    request(s, 'renewSession', { token: session.accessToken }, 10_000).catch((err: unknown) => {
      if (err instanceof RequestError && err.code === 'UNAUTHENTICATED') endSession(t('session.ended'));
      // No answer: the connection ends at the old token's expiry and reconnects with the new one.
    });
  });
  void restoreWall(w, savedWall).finally(() => {
    wallDone();
    markPhase('wall');
  });
  let everConnected = false;
  s.on('connect', () => {
    markPhase('connected');
    banner.hidden = true;
    // Browsers keep WebRTC to secure contexts (https, or localhost): say so rather than spin.
    if (!window.isSecureContext) showBanner(t('insecurePage'));
    media.prepare();
    const reconnected = everConnected;
    everConnected = true;
    void refreshCameras(s).then(() => {
      if (reconnected) for (const tile of w.tiles) tile.resubscribe();
    }, () => undefined); // the next connection asks again
  });
  s.on('disconnect', (reason) => {
    if (reason === 'io client disconnect') return; // the page closed it (the session ended)
    if (reason === 'io server disconnect') {
      // sessionEnded said why; only a lapsed token with a fresh one at hand comes back.
      if (reconnectAfterEnd) {
        reconnectAfterEnd = false;
        s.connect();
      }
      return;
    }
    showBanner(t('disconnected'));
  });
  s.on('connect_error', (err) => {
    const code = (err as Error & { data?: { code?: string } }).data?.code;
    if (code === 'UNAUTHENTICATED') {
      // The access token expired (or the account changed): renew once, else sign in again.
      void renew().then((session) => (session ? s.connect() : endSession(t('session.expired'))));
      return;
    }
    if (code === 'TOO_MANY_REQUESTS') {
      // The account's connection cap: a refusal by the server is not retried by socket.io.
      showBanner(t('tooManyConnections'));
      setTimeout(() => { if (socket === s && !s.connected) s.connect(); }, 15_000);
      return;
    }
    showBanner(t('disconnected'));
  });
  keepSessionFresh(() => endSession(t('session.expired')));
}

/** The session is over: stop everything and ask for a sign-in, saying why. */
function endSession(reason: string): void {
  socket?.disconnect();
  for (const tile of wall?.tiles ?? []) tile.show(undefined);
  cameras = [];
  tree.render({ units: [], unassignedCameras: [] }, []);
  spotChecks.stop();
  void signOut();
  showLogin(reason);
}

function showLogin(reason?: string): void {
  document.body.classList.add('signed-out');
  hidePages();
  loginForm.show(reason);
  who.textContent = '';
  signOutButton.hidden = true;
}

function showApp(fullName: string): void {
  // A new sign-in after a session ended starts afresh (another person may be signing in).
  if (socket && !socket.connected) return location.reload();
  loginForm.hide();
  who.textContent = fullName;
  signOutButton.hidden = false;
  // The socket, the camera list and the saved wall are asked for at once, /api/me once the
  // first picture is on the screen (afterFirstViews): the first picture waits on none of them in
  // turn. The wall is for those who watch: anyone else is sent to their own page by
  // enterPage, and the socket leaves with the page. The wall shows at once (a hidden <video>
  // renders nothing): a session that turns out to have ended brings the sign-in back
  // (endSession; the socket's refusal says so as well).
  document.body.classList.remove('signed-out');
  if (!socket) startApp();
  afterFirstViews.then(() => enterPage('wall')).then((me) => {
    if (!me) return;
    markPhase('me');
    showFigures(figuresWanted(me));
    void afterFirstViews.then(() => { if (currentSession()) spotChecks.start(); });
  }, (err: unknown) => {
    if (err instanceof ApiError && err.status === 401) return endSession(t('session.expired'));
    // The server is not reachable now: the wall goes on and comes back with it.
    showBanner(errorText(err));
  });
}

// ---- the engineering figures (fps, latency, decode, buffer) on the tiles -----------------------

const figuresButton = document.getElementById('figures') as HTMLButtonElement;
const FIGURES_KEY = 'giamsat.figures';
/** Shown by default for those who keep the system running (ops, installers); hidden for supervisors. */
function figuresWanted(me: Me): boolean {
  const saved = localStorage.getItem(FIGURES_KEY);
  if (saved) return saved === 'on';
  return me.assignments.some((a) => a.state === 'active' && (a.role === 'OPS' || a.role === 'INSTALLER'));
}
function showFigures(on: boolean): void {
  document.body.classList.toggle('show-figures', on);
  figuresButton.setAttribute('aria-pressed', String(on));
}
figuresButton.onclick = () => {
  const on = !document.body.classList.contains('show-figures');
  localStorage.setItem(FIGURES_KEY, on ? 'on' : 'off');
  showFigures(on);
};

signOutButton.onclick = () => void signOut().then(() => location.reload());

document.getElementById('lang')!.onclick = () => {
  void setLang(currentLang() === 'vi' ? 'en' : 'vi').then(render, () => undefined);
};
document.querySelectorAll<HTMLButtonElement>('[data-layout]').forEach((b) => {
  b.onclick = () => wall?.setLayout(asLayout(Number(b.dataset.layout)) ?? 4);
});

setupMenu();
showDemoNotice();
void setLang(currentLang());
render();
const session = currentSession();
if (session) showApp(session.fullName);
else showLogin();

// For tests and benchmarks: read-only view of the tiles.
(window as unknown as { giamsat: unknown }).giamsat = { get tiles() { return wall?.tiles ?? []; } };
