// The viewer's identity burnt over every picture they watch: their account and the current
// time, semi-transparent, drifting slowly across the frame so that a screenshot or a phone
// photo of the screen still names who was watching (and when). Placed over a live tile or a
// recorded segment; it never takes pointer events.

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
    this.#clock = window.setInterval(() => this.#tick(), 1000);
    this.#mover = window.setInterval(() => this.#move(), MOVE_EVERY_MS);
  }

  #tick(): void {
    const now = new Date();
    const time = now.toLocaleString(document.documentElement.lang === 'en' ? 'en-GB' : 'vi-VN');
    this.el.textContent = `${this.#who} · ${time}`;
  }

  /** Next place: left/top as percentages of the frame, kept inside it. */
  #move(): void {
    this.#seed = (this.#seed * 1103515245 + 12345) >>> 0;
    const left = 5 + (this.#seed % 55);
    const top = 8 + ((this.#seed >>> 8) % 75);
    this.el.style.left = `${left}%`;
    this.el.style.top = `${top}%`;
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
