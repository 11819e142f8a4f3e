// The navigation tree: administrative units (as many levels as the deployment's unit list
// has: province > district > commune, or province > commune) > facility > camera, holding
// only what the
// signed-in person may watch (the server builds it: /api/places), with a live health dot per
// camera, live/total counts per place, and search by name (accents optional: "thanh hoa"
// finds "Thanh Hóa"). Cameras are dragged onto tiles or clicked into the selected tile; a
// facility's button opens all its cameras.
import type { CameraHealth } from '../../server/cameras/camera-health.js';
import type { CameraSummary } from '../../server/cameras/CameraRegistry.js';
import { foldText } from '../../server/util/fold.js';
import { t } from './i18n.js';
import type { PlacesTree, PlacesUnit } from './places.js';

/** The data type a camera carries while dragged (read by the wall's tiles). */
export const CAMERA_DRAG_TYPE = 'application/x-giamsat-camera';

export interface TreeActions {
  /** A camera was clicked: show it in the selected tile. */
  pick(camera: CameraSummary): void;
  /** A facility's "open all" was clicked. */
  openAll(cameras: CameraSummary[], placeName: string): void;
}

interface PlaceNode {
  el: HTMLElement;
  name: string;
  count: HTMLElement;
  cameraIds: string[];
  parent?: PlaceNode;
}

export class Tree {
  readonly el: HTMLElement;
  readonly #search: HTMLInputElement;
  readonly #list: HTMLElement;
  readonly #actions: TreeActions;
  #cameras = new Map<string, CameraSummary>();
  #places: PlaceNode[] = [];
  #cameraItems = new Map<string, HTMLElement>();
  /** The innermost place of each camera (for search). */
  #cameraPlace = new Map<string, PlaceNode>();
  /** Places the person folded, kept across rebuilds (the list changes while they work). */
  readonly #folded = new Set<string>();
  #countsPending = false;

  constructor(actions: TreeActions) {
    this.#actions = actions;
    this.el = document.createElement('div');
    this.el.className = 'tree';
    this.#search = document.createElement('input');
    this.#search.type = 'search';
    this.#search.id = 'tree-search';
    this.#search.oninput = () => this.#filter();
    this.#list = document.createElement('ul');
    this.#list.id = 'camera-list';
    this.el.append(this.#search, this.#list);
    this.relabel();
  }

  /** Rebuilds from the places tree and the camera list (both already filtered by the server). */
  render(places: PlacesTree, cameras: CameraSummary[]): void {
    // Its own copies: the tree keeps their health current (setHealth), the page its list.
    this.#cameras = new Map(cameras.map((c) => [c.id, { ...c }]));
    this.#places = [];
    this.#cameraItems.clear();
    this.#cameraPlace.clear();
    const placed = new Set<string>();
    const items: HTMLElement[] = [];
    const addUnit = (u: PlacesUnit, depth: number, parent: PlaceNode | undefined): HTMLElement => {
      const unit = this.#place(`unit depth-${depth}`, u.name, parent, undefined, u.id);
      const list = unit.el.querySelector('ul')!;
      for (const child of u.units) list.append(addUnit(child, depth + 1, unit));
      for (const f of u.facilities) {
        const facility = this.#place('facility', f.name, unit, f.id, f.id);
        list.append(facility.el);
        for (const c of f.cameras) {
          const cam = this.#cameras.get(c.id);
          if (!cam) continue; // not in this node's registry (yet)
          placed.add(c.id);
          facility.el.querySelector('ul')!.append(this.#cameraItem(cam, facility));
        }
      }
      return unit.el;
    };
    for (const u of places.units) items.push(addUnit(u, 1, undefined));
    // Cameras without a facility, and any the places tree did not know when it was read.
    const rest = cameras.filter((c) => !placed.has(c.id));
    if (rest.length) {
      const group = this.#place('unassigned', t('unassigned'), undefined, undefined, 'unassigned');
      for (const c of rest) group.el.querySelector('ul')!.append(this.#cameraItem(c, group));
      items.push(group.el);
    }
    if (items.length === 0) items.push(Object.assign(document.createElement('li'), { className: 'empty', textContent: t('noCameras') }));
    this.#list.replaceChildren(...items);
    this.#updateCounts();
    this.#filter();
  }

  #place(level: string, name: string, parent: PlaceNode | undefined, facilityId: string | undefined, key: string): PlaceNode {
    const li = document.createElement('li');
    li.className = `place ${level}`;
    li.dataset.placeId = key;
    const details = document.createElement('details');
    details.open = !this.#folded.has(key);
    details.ontoggle = () => {
      // A search opens everything; that is not the person folding or unfolding.
      if (this.#search.value.trim()) return;
      if (details.open) this.#folded.delete(key);
      else this.#folded.add(key);
    };
    const summary = document.createElement('summary');
    summary.innerHTML = '<span class="place-name"></span><span class="count"></span>';
    summary.querySelector('.place-name')!.textContent = name;
    details.append(summary, document.createElement('ul'));
    li.append(details);
    const node: PlaceNode = { el: li, name: foldText(name), count: summary.querySelector('.count')!, cameraIds: [], ...(parent ? { parent } : {}) };
    if (facilityId) {
      li.dataset.facilityId = facilityId;
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'open-all';
      open.textContent = '▦';
      open.title = t('openAll');
      open.onclick = (e) => {
        e.preventDefault(); // not a toggle of the <details>
        const cams = node.cameraIds.map((id) => this.#cameras.get(id)).filter((c): c is CameraSummary => !!c);
        this.#actions.openAll(cams, name);
      };
      summary.append(open);
    }
    this.#places.push(node);
    return node;
  }

  #cameraItem(c: CameraSummary, place: PlaceNode): HTMLElement {
    for (let p: PlaceNode | undefined = place; p; p = p.parent) p.cameraIds.push(c.id);
    this.#cameraPlace.set(c.id, place);
    const li = document.createElement('li');
    li.className = 'camera';
    li.dataset.cameraId = c.id;
    li.draggable = true;
    li.innerHTML = '<span class="dot"></span><span class="cam-name"></span>';
    li.querySelector('.cam-name')!.textContent = c.name;
    li.ondragstart = (e) => {
      e.dataTransfer?.setData(CAMERA_DRAG_TYPE, c.id);
      e.dataTransfer?.setData('text/plain', c.name);
      if (e.dataTransfer) e.dataTransfer.effectAllowed = 'copyMove';
    };
    li.onclick = () => {
      const cam = this.#cameras.get(c.id);
      if (cam) this.#actions.pick(cam);
    };
    this.#cameraItems.set(c.id, li);
    this.#paintHealth(li, this.#state(c));
    return li;
  }

  /**
   * A camera's state in the tree: its main stream's, or its sub stream's while only that one
   * runs (a grid plays sub streams, so the main one idles).
   */
  #state(c: CameraSummary): CameraHealth {
    return c.health.state === 'idle' && c.subHealth && c.subHealth.state !== 'idle' ? c.subHealth : c.health;
  }

  #paintHealth(li: HTMLElement, health: CameraHealth): void {
    li.querySelector('.dot')!.className = `dot state-${health.state}`;
    li.dataset.state = health.state;
    li.title = t(`state.${health.state}`) + (health.reason ? ` – ${health.reason}` : '');
  }

  /** A camera stream changed health: its dot now, the counts at the next frame. */
  setHealth(cameraId: string, stream: 'main' | 'sub', health: CameraHealth): void {
    const cam = this.#cameras.get(cameraId);
    if (!cam) return;
    const before = this.#state(cam).state;
    if (stream === 'main') cam.health = health;
    else cam.subHealth = health;
    const now = this.#state(cam);
    const li = this.#cameraItems.get(cameraId);
    if (!li || now.state === before) return;
    this.#paintHealth(li, now);
    if (this.#countsPending) return;
    this.#countsPending = true;
    requestAnimationFrame(() => {
      this.#countsPending = false;
      this.#updateCounts();
    });
  }

  #updateCounts(): void {
    for (const p of this.#places) {
      const states = p.cameraIds.map((id) => this.#cameras.get(id)).filter((c): c is CameraSummary => !!c).map((c) => this.#state(c).state);
      const live = states.filter((s) => s === 'live').length;
      p.count.textContent = `${live}/${p.cameraIds.length}`;
      p.count.title = t('tree.count', { live, total: p.cameraIds.length });
      // Idle (nobody watching an on-demand camera) is not a fault; offline and stalled are.
      p.count.classList.toggle('some-down', states.some((s) => s === 'offline' || s === 'stalled'));
    }
  }

  /** Shows cameras whose name, or a place above them, contains the search text. */
  #filter(): void {
    const q = foldText(this.#search.value.trim());
    const placeMatches = (p: PlaceNode | undefined): boolean => !!p && (p.name.includes(q) || placeMatches(p.parent));
    const shown = new Set<string>();
    for (const [id, li] of this.#cameraItems) {
      const cam = this.#cameras.get(id)!;
      const ok = !q || foldText(cam.name).includes(q) || placeMatches(this.#cameraPlace.get(id));
      li.hidden = !ok;
      if (ok) shown.add(id);
    }
    for (const p of this.#places) {
      p.el.hidden = !p.cameraIds.some((id) => shown.has(id));
      // Searching opens every place; clearing the search restores what the person folded.
      p.el.querySelector('details')!.open = q ? true : !this.#folded.has(p.el.dataset.placeId!);
    }
  }

  relabel(): void {
    this.#search.placeholder = t('search');
    this.#search.setAttribute('aria-label', t('search'));
    for (const b of this.el.querySelectorAll<HTMLButtonElement>('.open-all')) b.title = t('openAll');
    for (const [id, li] of this.#cameraItems) {
      const cam = this.#cameras.get(id);
      if (cam) this.#paintHealth(li, this.#state(cam));
    }
    this.#updateCounts();
  }
}
