// An inspector's spot checks: each grant with its facility, reason and time remaining (or
// when it starts), a button that opens all its cameras on the wall, and a bar above the wall
// while one runs. When the grant ends the page closes its cameras and says so (the server
// ends the views at the same moment on its side: this is the person's view of it).
import { apiJson } from './api.js';
import { formatDateTime, formatDuration, formatTime, t } from './i18n.js';

/** The shape of GET /api/me/spot-checks. */
export interface SpotCheck {
  id: string;
  facilityId: string | null;
  facilityName: string | null;
  startsAt: string;
  endsAt: string;
  reason: string;
  cameraIds: string[];
}

export interface SpotCheckActions {
  open(check: SpotCheck): void;
  /** The open spot check ended (time ran out or it was withdrawn). */
  ended(check: SpotCheck): void;
}

export const spotCheckPlace = (c: SpotCheck): string => c.facilityName ?? t('spot.cameras', { count: c.cameraIds.length });

/** Time left as a countdown within a day, else the end date (a month-long grant is not a countdown). */
function timeLeft(endsAt: string, now: number): string {
  const ms = Date.parse(endsAt) - now;
  return ms < 86_400_000 ? t('spot.left', { time: formatDuration(ms) }) : t('spot.until', { time: formatDateTime(endsAt) });
}

export class SpotChecks {
  /** The panel in the side bar (hidden when the person has no spot checks). */
  readonly el: HTMLElement;
  /** The bar above the wall while a spot check is open. */
  readonly bar: HTMLElement;
  readonly #list: HTMLElement;
  readonly #heading: HTMLElement;
  readonly #actions: SpotCheckActions;
  #checks: SpotCheck[] = [];
  #open?: SpotCheck;
  #timer?: number;
  #refreshTimer?: number;

  constructor(actions: SpotCheckActions) {
    this.#actions = actions;
    this.el = document.createElement('section');
    this.el.id = 'spot-checks';
    this.el.hidden = true;
    this.#heading = document.createElement('h2');
    this.#list = document.createElement('ul');
    this.el.append(this.#heading, this.#list);
    this.bar = document.createElement('div');
    this.bar.id = 'spot-bar';
    this.bar.hidden = true;
    this.relabel();
  }

  get open(): SpotCheck | undefined {
    return this.#open;
  }

  /** Reads the person's spot checks now and every 30 s; counts down every second. */
  start(): void {
    void this.refresh();
    this.#refreshTimer ??= window.setInterval(() => void this.refresh(), 30_000);
    this.#timer ??= window.setInterval(() => this.#tick(), 1000);
  }

  stop(): void {
    window.clearInterval(this.#refreshTimer);
    window.clearInterval(this.#timer);
    this.#refreshTimer = this.#timer = undefined;
  }

  async refresh(): Promise<void> {
    try {
      this.#checks = await apiJson<SpotCheck[]>('/api/me/spot-checks');
    } catch {
      return; // keep the last list; the next refresh tries again
    }
    // An open spot check that is no longer listed was withdrawn.
    if (this.#open && !this.#checks.some((c) => c.id === this.#open!.id)) this.#end();
    this.#render();
  }

  #tick(): void {
    const now = Date.now();
    if (this.#open && Date.parse(this.#open.endsAt) <= now) this.#end();
    const before = this.#checks.length;
    this.#checks = this.#checks.filter((c) => Date.parse(c.endsAt) > now);
    if (before !== this.#checks.length) this.#render();
    else this.#updateTimes();
  }

  #end(): void {
    const check = this.#open!;
    this.#open = undefined;
    this.bar.hidden = true;
    this.#actions.ended(check);
  }

  #render(): void {
    this.el.hidden = this.#checks.length === 0;
    this.#list.replaceChildren(...this.#checks.map((c) => {
      const li = document.createElement('li');
      li.dataset.spotCheckId = c.id;
      li.innerHTML = '<div class="spot-place"></div><div class="spot-reason muted"></div><div class="spot-time"></div><button type="button" class="spot-open"></button>';
      li.querySelector('.spot-place')!.textContent = spotCheckPlace(c);
      li.querySelector('.spot-reason')!.textContent = c.reason;
      const button = li.querySelector<HTMLButtonElement>('.spot-open')!;
      button.textContent = t('spot.open');
      button.onclick = () => {
        this.#open = c;
        this.bar.hidden = false;
        this.#updateTimes();
        this.#actions.open(c);
      };
      return li;
    }));
    this.#updateTimes();
  }

  #updateTimes(): void {
    const now = Date.now();
    for (const li of this.#list.querySelectorAll<HTMLElement>('li')) {
      const c = this.#checks.find((x) => x.id === li.dataset.spotCheckId);
      if (!c) continue;
      const running = Date.parse(c.startsAt) <= now;
      li.querySelector('.spot-time')!.textContent = running ? timeLeft(c.endsAt, now) : t('spot.startsAt', { time: formatTime(c.startsAt) });
      li.querySelector<HTMLButtonElement>('.spot-open')!.disabled = !running || c.cameraIds.length === 0;
    }
    if (this.#open) {
      this.bar.textContent = t('spot.active', { place: spotCheckPlace(this.#open), left: timeLeft(this.#open.endsAt, now) });
    }
  }

  relabel(): void {
    this.#heading.textContent = t('spot.title');
    this.#render();
  }
}
