// The video wall: 16 tiles shown 1, 4, 9 or 16 at a time. Cameras are dropped from the tree
// onto a tile, tiles are dragged onto each other to swap, a double-click maximizes a tile and
// another returns to the grid (keyboard: arrows move the selection, Enter maximizes or
// returns, Escape returns, Delete empties the selected tile). Tiles in a grid play the sub
// stream, a maximized tile (or layout 1) the main stream. Tiles that nobody can see consume
// nothing: beyond the layout at once, behind a maximized tile or in a hidden browser tab
// after a short grace (a quick return does not restart anything). The arrangement is
// reported through `onChange` so the page can save it on the server.
import type { CameraSummary } from '../../server/cameras/CameraRegistry.js';
import type { MediaClient } from './MediaClient.js';
import { Tile } from './Tile.js';
import { CAMERA_DRAG_TYPE } from './Tree.js';

export type Layout = 1 | 4 | 9 | 16;
export const LAYOUTS: readonly Layout[] = [1, 4, 9, 16];
export const asLayout = (n: unknown): Layout | undefined => (LAYOUTS.includes(n as Layout) ? (n as Layout) : undefined);

/** What is saved per person: the layout and the camera of each of the 16 tiles. */
export interface WallState {
  layout: Layout;
  tiles: Array<string | null>;
}

const TILE_DRAG_TYPE = 'application/x-giamsat-tile';
const MAX_TILES = 16;
/** How long an unseen tile (hidden tab, behind a maximized tile) keeps playing. */
export const UNSEEN_GRACE_MS = 5000;

export class Wall {
  readonly tiles: Tile[] = [];
  readonly #grid: HTMLElement;
  readonly #onChange: (state: WallState) => void;
  #layout: Layout;
  #maximized?: Tile;
  #selected = 0;
  #pageVisible = !document.hidden;
  readonly #onScreen = new WeakMap<Tile, boolean>();
  readonly #pauseTimers = new Map<Tile, number>();
  readonly #observer: IntersectionObserver;

  constructor(grid: HTMLElement, media: MediaClient, layout: Layout, onChange: (state: WallState) => void) {
    this.#grid = grid;
    this.#layout = layout;
    this.#onChange = onChange;
    this.#observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const tile = this.tiles.find((x) => x.el === e.target);
        if (tile) this.#onScreen.set(tile, e.isIntersecting);
      }
      this.#applyActivity();
    });
    for (let i = 0; i < MAX_TILES; i++) this.tiles.push(this.#createTile(media));
    grid.replaceChildren(...this.tiles.map((x) => x.el));
    document.addEventListener('visibilitychange', () => {
      this.#pageVisible = !document.hidden;
      this.#applyActivity();
    });
    document.addEventListener('keydown', (e) => this.#onKey(e));
    this.#apply();
  }

  get layout(): Layout {
    return this.#layout;
  }

  get maximized(): Tile | undefined {
    return this.#maximized;
  }

  get state(): WallState {
    return { layout: this.#layout, tiles: this.tiles.map((x) => x.cameraId ?? null) };
  }

  #createTile(media: MediaClient): Tile {
    const tile = new Tile(media, 'sub');
    const el = tile.el;
    el.draggable = true;
    el.onclick = () => this.select(this.tiles.indexOf(tile));
    el.ondblclick = () => this.toggleMaximize(tile);
    el.ondragstart = (e) => {
      if (!tile.cameraId) return e.preventDefault();
      e.dataTransfer?.setData(TILE_DRAG_TYPE, String(this.tiles.indexOf(tile)));
      if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
    };
    el.ondragover = (e) => {
      const types = e.dataTransfer?.types ?? [];
      if (!types.includes(CAMERA_DRAG_TYPE) && !types.includes(TILE_DRAG_TYPE)) return;
      e.preventDefault();
      el.classList.add('drop-target');
    };
    el.ondragleave = () => el.classList.remove('drop-target');
    el.ondrop = (e) => {
      e.preventDefault();
      el.classList.remove('drop-target');
      const to = this.tiles.indexOf(tile);
      const from = e.dataTransfer?.getData(TILE_DRAG_TYPE);
      if (from) return this.swap(Number(from), to);
      const cameraId = e.dataTransfer?.getData(CAMERA_DRAG_TYPE);
      if (cameraId) this.#dropped?.(cameraId, to);
    };
    this.#observer.observe(el);
    return tile;
  }

  /** Resolves a dropped camera id to the camera (set by the page, which holds the list). */
  #dropped?: (cameraId: string, index: number) => void;
  set onCameraDropped(fn: (cameraId: string, index: number) => void) {
    this.#dropped = fn;
  }

  #arranged = false;

  setLayout(n: Layout): void {
    this.#layout = n;
    this.#maximized = undefined;
    this.#apply();
    this.#changed();
  }

  select(i: number): void {
    this.#selected = Math.max(0, Math.min(i, this.#layout - 1));
    this.tiles.forEach((x, j) => x.el.classList.toggle('selected', j === this.#selected));
  }

  get selected(): number {
    return this.#selected;
  }

  /**
   * Shows `camera` in tile `i`. A camera shows in one tile only: if it already sits in
   * another, the two tiles trade places.
   */
  put(i: number, camera: CameraSummary | undefined): void {
    const tile = this.tiles[i];
    if (!tile) return;
    const already = camera ? this.tiles.findIndex((x) => x.cameraId === camera.id) : -1;
    if (already === i) return;
    if (already >= 0) return this.swap(already, i);
    tile.show(camera);
    this.#changed();
  }

  /** Trades the places of two tiles (their subscriptions move with them, nothing restarts). */
  swap(a: number, b: number): void {
    if (a === b || !this.tiles[a] || !this.tiles[b]) return;
    [this.tiles[a], this.tiles[b]] = [this.tiles[b]!, this.tiles[a]!];
    this.#grid.replaceChildren(...this.tiles.map((x) => x.el));
    this.#apply();
    this.#changed();
  }

  toggleMaximize(tile: Tile): void {
    if (!tile.cameraId && !this.#maximized) return;
    this.#maximized = this.#maximized || this.#layout === 1 ? undefined : tile;
    this.select(this.#maximized ? this.tiles.indexOf(tile) : this.#selected);
    this.#apply();
  }

  /** Fills the wall with `cameras` (a facility, a spot check) in the smallest layout that holds them. */
  openSet(cameras: CameraSummary[]): void {
    const shown = cameras.slice(0, MAX_TILES);
    this.#layout = LAYOUTS.find((n) => n >= shown.length) ?? 16;
    this.#maximized = undefined;
    this.tiles.forEach((tile, i) => tile.show(shown[i]));
    this.select(0);
    this.#apply();
    this.#changed();
  }

  /** Restores a saved wall; unknown cameras leave their tile empty. */
  restore(state: WallState, camera: (id: string) => CameraSummary | undefined): void {
    this.#layout = state.layout;
    this.#maximized = undefined;
    this.tiles.forEach((tile, i) => {
      const id = state.tiles[i];
      tile.show(id ? camera(id) : undefined);
    });
    this.#apply();
  }

  /** Puts cameras not yet on the wall into its empty visible tiles, in list order. */
  fillEmpty(cameras: CameraSummary[]): void {
    const shown = new Set(this.tiles.map((x) => x.cameraId).filter(Boolean));
    const queue = cameras.filter((c) => !shown.has(c.id));
    // Not saved: an automatic fill is not the person's arrangement.
    for (const tile of this.tiles.slice(0, this.#layout)) {
      if (!tile.cameraId && !tile.revoked && queue.length) tile.show(queue.shift());
    }
  }

  /** Empties tiles whose camera is no longer in the person's list. */
  keepOnly(known: Set<string>): void {
    for (const tile of this.tiles) if (tile.cameraId && !known.has(tile.cameraId)) tile.show(undefined);
  }

  #visible(i: number): boolean {
    const tile = this.tiles[i]!;
    return this.#maximized ? tile === this.#maximized : i < this.#layout;
  }

  /** Applies layout and maximize: which tiles show, and which stream each plays. */
  #apply(): void {
    this.#grid.className = `grid layout-${this.#maximized ? 1 : this.#layout}`;
    this.tiles.forEach((tile, i) => {
      tile.el.hidden = !this.#visible(i);
      tile.setStream(this.#maximized === tile || this.#layout === 1 ? 'main' : 'sub');
    });
    this.select(this.#selected);
    document.querySelectorAll<HTMLButtonElement>('[data-layout]').forEach((b) => b.classList.toggle('active', Number(b.dataset.layout) === this.#layout));
    this.#applyActivity();
  }

  /**
   * A tile plays while it can be seen. Tiles beyond the layout stop at once (a deliberate
   * change); tiles hidden by a maximized tile or a hidden tab, or scrolled away, stop after
   * UNSEEN_GRACE_MS.
   */
  #applyActivity(): void {
    this.tiles.forEach((tile, i) => {
      const inLayout = i < this.#layout;
      const seen = this.#pageVisible && this.#visible(i) && this.#onScreen.get(tile) !== false;
      const timer = this.#pauseTimers.get(tile);
      if (!inLayout || seen) {
        window.clearTimeout(timer);
        this.#pauseTimers.delete(tile);
        tile.setActive(seen);
        return;
      }
      if (!tile.active || timer !== undefined) return;
      this.#pauseTimers.set(tile, window.setTimeout(() => {
        this.#pauseTimers.delete(tile);
        tile.setActive(false);
      }, UNSEEN_GRACE_MS));
    });
  }

  #onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null;
    // Typing in a field (search, a note) or an open dialog is not wall navigation.
    if (e.altKey || e.ctrlKey || e.metaKey || target?.closest('input, textarea, select, dialog, [contenteditable]')) return;
    const side = Math.sqrt(this.#layout);
    const moves: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -side, ArrowDown: side };
    if (e.key in moves && !this.#maximized) {
      this.select(Math.max(0, Math.min(this.#layout - 1, this.#selected + moves[e.key]!)));
    } else if (e.key === 'Enter') {
      this.toggleMaximize(this.tiles[this.#selected]!);
    } else if (e.key === 'Escape' && this.#maximized) {
      this.toggleMaximize(this.#maximized);
    } else if (e.key === 'Delete' || e.key === 'Backspace') {
      this.put(this.#selected, undefined);
    } else {
      return;
    }
    e.preventDefault();
  }

  #changed(): void {
    this.#arranged = true;
    this.#onChange(this.state);
  }

  /**
   * The person has arranged the wall on this page (layout, a camera put, moved or a set
   * opened). A restore or an automatic fill arriving later must not undo that.
   */
  get arranged(): boolean {
    return this.#arranged;
  }
}
