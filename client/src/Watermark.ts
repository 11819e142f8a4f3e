// The viewer's identity burnt over every picture they watch: their account and the current
// time, semi-transparent, drifting slowly across the frame so that a screenshot or a phone
// photo of the screen still names who was watching (and when). Placed over a live tile or a
// recorded segment; it never takes pointer events.
import { formatDateTime } from './i18n.js';

/** How often the mark moves to a new place (it glides there over the same time). */
const MOVE_EVERY_MS = 8000;

export class Watermark {
  readonly el: HTMLElement;
  readonly #who: string;
  #clock?: number;
  #mover?: number;
  /** A position sequence that differs per viewer, so two viewers' marks do not coincide. */
  #seed: number;

  constructor(who: string) {
    this.#who = who;
    this.el = document.createElement('div');
    this.el.className = 'watermark';
    this.el.setAttribute('aria-hidden', 'true');
    this.#seed = [...who].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
    this.#tick();
    this.#move();
    // Placed again once it is in the page and has a size, without gliding there.
    requestAnimationFrame(() => {
      this.el.style.transition = 'none';
      this.#move();
      void this.el.offsetWidth; // apply the place before the transition comes back
      this.el.style.transition = '';
    });
    this.#clock = window.setInterval(() => this.#tick(), 1000);
    this.#mover = window.setInterval(() => this.#move(), MOVE_EVERY_MS);
  }

  #tick(): void {
    const now = new Date();
    const time = formatDateTime(now);
    this.el.textContent = `${this.#who} · ${time}`;
  }

  /**
   * Next place, kept inside the frame whatever its size: a fraction of the room the mark
   * leaves (the frame's size minus the mark's), so it follows the tile when it resizes.
   */
  #move(): void {
    this.#seed = (this.#seed * 1103515245 + 12345) >>> 0;
    const fx = (this.#seed % 1000) / 1000;
    const fy = 0.1 + (((this.#seed >>> 10) % 1000) / 1000) * 0.8;
    const w = this.el.offsetWidth;
    const h = this.el.offsetHeight;
    this.el.style.left = `calc((100% - ${w}px) * ${fx.toFixed(3)})`;
    this.el.style.top = `calc((100% - ${h}px) * ${fy.toFixed(3)})`;
  }

  dispose(): void {
    clearInterval(this.#clock);
    clearInterval(this.#mover);
    this.el.remove();
  }
}

/** What the mark says about the signed-in person: "Full Name (username)". */
export function watermarkText(session: { fullName: string; username?: string } | undefined): string {
  if (!session) return '';
  return session.username ? `${session.fullName} (${session.username})` : session.fullName;
}
