// The viewer's identity burnt over every picture they watch: their account and the current
// time, semi-transparent, moving to a new place across the frame every few seconds so that a
// screenshot or a phone photo of the screen still names who was watching (and when), and no
// fixed crop removes it. Placed over a live tile or a recorded segment; it never takes pointer
// events.

/**
 * How often the mark moves to a new place. It glides there in 0.6 s (app.css) and then stands
 * still: a mark that glided all the time kept the browser compositing the whole page at every
 * display refresh, and a wall of 16 tiles took a fifth more of the browser's CPU for it
 * (docs/performance.md, "The watermark stands still between moves").
 */
const MOVE_EVERY_MS = 8000;

export class Watermark {
  readonly el: HTMLElement;
  readonly #who: string;
  #clock?: number;
  #mover?: number;
  #resize?: ResizeObserver;
  /** A position sequence that differs per viewer, so two viewers' marks do not coincide. */
  #seed: number;
  /** The current place, as fractions of the room the mark leaves in its frame. */
  #at = { x: 0, y: 0 };

  constructor(who: string) {
    this.#who = who;
    this.el = document.createElement('div');
    this.el.className = 'watermark';
    this.el.setAttribute('aria-hidden', 'true');
    this.#seed = [...who].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
    this.#tick();
    this.#next();
    // Placed once it is in the page and has a size, without gliding there; placed again
    // whenever its frame changes size (a layout change, maximizing, a phone turning).
    requestAnimationFrame(() => {
      const frame = this.el.parentElement;
      if (!frame) return;
      this.#resize = new ResizeObserver(() => this.#place(false));
      this.#resize.observe(frame);
    });
    this.#clock = window.setInterval(() => this.#tick(), 1000);
    this.#mover = window.setInterval(() => {
      this.#next();
      this.#place(true);
    }, MOVE_EVERY_MS);
  }

  #tick(): void {
    this.el.textContent = `${this.#who} · ${clockText(new Date())}`;
  }

  #next(): void {
    this.#seed = (this.#seed * 1103515245 + 12345) >>> 0;
    this.#at = { x: (this.#seed % 1000) / 1000, y: 0.1 + (((this.#seed >>> 10) % 1000) / 1000) * 0.8 };
  }

  /**
   * Moves the mark to its place: a fraction of the room it leaves (the frame's size minus the
   * mark's), so it stays inside whatever the frame's size. It moves by transform, which the
   * compositor animates alone: animating left/top laid out and repainted the page on every
   * frame, over the live video.
   */
  #place(glide: boolean): void {
    const frame = this.el.parentElement;
    if (!frame) return;
    const x = Math.max(0, frame.clientWidth - this.el.offsetWidth) * this.#at.x;
    const y = Math.max(0, frame.clientHeight - this.el.offsetHeight) * this.#at.y;
    this.el.style.transition = glide ? '' : 'none';
    this.el.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px) rotate(-12deg)`;
    if (!glide) {
      void this.el.offsetWidth; // apply the place before the transition comes back
      this.el.style.transition = '';
    }
  }

  dispose(): void {
    clearInterval(this.#clock);
    clearInterval(this.#mover);
    this.#resize?.disconnect();
    this.el.remove();
  }
}

/**
 * The mark's time, as Vietnamese write it ("14:03:05 3/12/2026") whatever the page's language:
 * it is read off a leaked picture by whoever investigates, not by the viewer. Written by hand,
 * not with Intl: a page's first date formatter loads its locale's data (27 ms of the page's
 * main thread, traced, on its way to the first picture, whose tile needs the mark first).
 */
export function clockText(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getDate()}/${d.getMonth() + 1}/${d.getFullYear()}`;
}

/** What the mark says about the signed-in person: "Full Name (username)". */
export function watermarkText(session: { fullName: string; username?: string } | undefined): string {
  if (!session) return '';
  return session.username ? `${session.fullName} (${session.username})` : session.fullName;
}
