// The recordings page: pick a camera the person may watch and a period, list the recorded
// segments (the recording plugin's API) and play one. It opens on a recorded camera and
// says which cameras are recorded, so nobody searches a camera that never records. Every listing and playback is
// authorized by the server; playback URLs carry a short-lived ticket for this person and
// this segment only.
import { ApiError, apiGet, apiJson } from '../api.js';
import { errorText, formatDateTime, locale, t } from '../i18n.js';
import { currentSession } from '../auth.js';
import { PageShell } from '../page-shell.js';
import { facilitiesOf, type PlacesTree } from '../places.js';
import { Watermark, watermarkText } from '../Watermark.js';


interface SegmentRow {
  name: string;
  start: string;
  end: string;
  bytes: number;
  complete: boolean;
  url: string;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('search');
const player = $<HTMLVideoElement>('player');
let segments: SegmentRow[] | undefined;
/** The recorded cameras the person may watch; undefined when recording is not enabled. */
let recorded: Array<{ id: string; name: string; newest: string | null }> | undefined;

const when = (iso: string) => formatDateTime(iso);
/** A datetime-local value for `d` in the browser's time zone. */
const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

function renderSegments(): void {
  const list = $('segments');
  const note = $('recorded');
  note.textContent = !recorded ? t('rec.unavailable') : recorded.length ? t('rec.recorded', { list: recorded.map((c) => c.name).join(', ') }) : t('rec.noneRecorded');
  if (!segments) return list.replaceChildren();
  if (!segments.length) return list.replaceChildren(Object.assign(document.createElement('li'), { textContent: t('rec.none') }));
  list.replaceChildren(...segments.map((s) => {
    const li = document.createElement('li');
    li.dataset.segment = s.name;
    li.textContent = `${when(s.start)} – ${new Date(s.end).toLocaleTimeString(locale())}${s.complete ? '' : ` (${t('rec.writing')})`}`;
    li.onclick = () => {
      list.querySelectorAll('li').forEach((x) => x.classList.toggle('playing', x === li));
      player.src = s.url;
      void player.play().catch(() => undefined);
    };
    return li;
  }));
}

async function loadCameras(): Promise<void> {
  const [tree, rec] = await Promise.all([
    apiJson<PlacesTree>('/api/places'),
    apiJson<NonNullable<typeof recorded>>('/plugins/recording/cameras').catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return undefined; // recording is not enabled
      throw err;
    }),
  ]);
  recorded = rec;
  const select = form.elements.namedItem('camera') as HTMLSelectElement;
  const options: HTMLOptionElement[] = [];
  for (const f of facilitiesOf(tree.units)) {
    for (const c of f.cameras) options.push(new Option(`${c.name} — ${f.name}`, c.id));
  }
  for (const c of tree.unassignedCameras) options.push(new Option(c.name, c.id));
  select.replaceChildren(...options);
  // Open on the recorded camera with the newest recording, over the hour before it.
  const first = [...(recorded ?? [])].sort((a, b) => (b.newest ?? '').localeCompare(a.newest ?? ''))[0];
  if (first) {
    select.value = first.id;
    if (first.newest && Date.parse(first.newest) < Date.now() - 3_600_000) {
      setPeriod(new Date(Date.parse(first.newest) - 3_600_000), new Date(Date.parse(first.newest) + 3_600_000));
    }
  }
  renderSegments();
  if (first) search();
}

function setPeriod(from: Date, to: Date): void {
  (form.elements.namedItem('from') as HTMLInputElement).value = local(from);
  (form.elements.namedItem('to') as HTMLInputElement).value = local(to);
}

function search(): void {
  const data = new FormData(form);
  const q = new URLSearchParams({ from: new Date(String(data.get('from'))).toISOString(), to: new Date(String(data.get('to'))).toISOString() });
  $('search-error').textContent = '';
  apiGet(`/plugins/recording/cameras/${String(data.get('camera'))}/segments?${q}`)
    .then(async (res) => {
      segments = (await res.json()) as SegmentRow[];
      renderSegments();
    })
    .catch((err: unknown) => {
      segments = undefined;
      renderSegments();
      $('search-error').textContent = `${t('error')}: ${errorText(err)}`;
    });
}

form.onsubmit = (ev) => {
  ev.preventDefault();
  search();
};

function start(): void {
  setPeriod(new Date(Date.now() - 3_600_000), new Date(Date.now() + 60_000));
  loadCameras().catch((err: unknown) => {
    if (err instanceof ApiError && err.status === 401) return shell.showLogin(t('session.expired'));
    $('search-error').textContent = `${t('error')}: ${errorText(err)}`;
  });
}

const shell = new PageShell({
  page: 'recordings', title: 'rec.title', content: $('recordings'), render: renderSegments,
  onSignedIn: () => {
    // Recorded pictures carry the viewer's mark like live ones.
    player.parentElement!.querySelector('.watermark')?.remove();
    player.parentElement!.append(new Watermark(watermarkText(currentSession())).el);
    start();
  },
});
