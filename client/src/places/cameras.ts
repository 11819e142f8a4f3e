// The installer's camera work on the places page, for one facility: its cameras with their
// state, "test this camera" (the server probes the address within 10 s and says what a
// technician needs: reachable or why not, codec, resolution, frame rate, keyframe interval,
// bitrate, audio, one frame), and registering, editing and removing cameras. URLs are never
// shown back (the server never returns them): an edit that leaves an address empty keeps it.
import { apiJson, apiSend } from '../api.js';
import { t, type MessageKey } from '../i18n.js';
import { $, cell, formErrorText } from './dom.js';

interface AdminCamera {
  id: string;
  name: string;
  facilityId: string | null;
  alwaysOn: boolean;
  rtspTransport: 'tcp' | 'udp';
  ingest: 'auto' | 'direct' | 'ffmpeg';
  rtspBasicAuth: boolean;
  hasSubStream: boolean;
  health: { state: string; reason?: string };
}

interface ProbeResult {
  reachable: boolean;
  failure?: { kind: string; message: string; status?: number; realm?: string };
  video?: { codec: string; profile: string | null; width: number | null; height: number | null; fps: number | null; keyframeIntervalS: number | null; bitrateKbps: number | null };
  audio: { codec: string } | null;
  frameJpeg?: string;
  direct?: { fits: boolean; reason?: string; ssrcInSetup: boolean | null; udpReached: boolean | null; setsBeforeKeyframes: boolean | null; keyframeOnRequest: boolean | null };
  elapsedMs: number;
}

/** What the probe found about the direct path, in the page's words. */
function directFitness(d: NonNullable<ProbeResult['direct']>): string {
  if (d.fits) return t(d.keyframeOnRequest === false ? 'probe.directFitsSlowStart' : 'probe.directFits');
  if (d.ssrcInSetup === false) return t('probe.directNoSsrc');
  if (d.udpReached === false) return t('probe.directNoUdp');
  if (d.setsBeforeKeyframes === false) return t('probe.directNoSets');
  return t('probe.directUnknown', { why: d.reason ?? '' });
}


export class CamerasPanel {
  #facility: { id: string; name: string } | undefined;
  #cameras: AdminCamera[] = [];
  #editing: AdminCamera | undefined;
  #probe: ProbeResult | undefined;
  readonly #onError: (err: unknown) => void;
  /** Called after a change (the facility list shows camera counts). */
  readonly #changed: () => void;

  constructor(onError: (err: unknown) => void, changed: () => void) {
    this.#onError = onError;
    this.#changed = changed;
    $<HTMLFormElement>('camera-form').onsubmit = (e) => {
      e.preventDefault();
      void this.#save();
    };
    $('camera-probe').onclick = () => void this.#runProbe();
    $('probe-use-direct').onclick = () => {
      $<HTMLFormElement>('camera-form').querySelector<HTMLSelectElement>('select[name=ingest]')!.value = 'direct';
      $('probe-use-direct').hidden = true;
    };
    $('camera-close').onclick = () => this.close();
  }

  /** Opens the panel on a facility's cameras. */
  async open(facility: { id: string; name: string }): Promise<void> {
    this.#facility = facility;
    this.#editing = undefined;
    this.#probe = undefined;
    $<HTMLFormElement>('camera-form').reset();
    await this.#load();
    $('cameras-section').scrollIntoView({ block: 'start' });
  }

  close(): void {
    this.#facility = undefined;
    this.render();
  }

  async #load(): Promise<void> {
    const all = await apiJson<AdminCamera[]>('/api/cameras');
    this.#cameras = all.filter((c) => c.facilityId === this.#facility?.id);
    this.render();
  }

  render(): void {
    $('cameras-section').hidden = !this.#facility;
    if (!this.#facility) return;
    $('cameras-title').textContent = t('cameras.title', { facility: this.#facility.name });
    const table = $<HTMLTableElement>('camera-admin-list');
    const tr = document.createElement('tr');
    for (const k of ['cameras.name', 'cameras.state', 'cameras.subStream', 'cameras.alwaysOn', 'facilities.actions'] as MessageKey[]) tr.append(Object.assign(document.createElement('th'), { textContent: t(k) }));
    table.tHead!.replaceChildren(tr);
    table.tBodies[0]!.replaceChildren(...(this.#cameras.length ? this.#cameras.map((c) => {
      const row = document.createElement('tr');
      row.dataset.cameraId = c.id;
      const actions = document.createElement('td');
      actions.className = 'actions';
      const edit = Object.assign(document.createElement('button'), { type: 'button', textContent: t('facilities.editShort') });
      edit.onclick = () => this.#edit(c);
      const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: t('cameras.remove') });
      remove.onclick = () => void this.#remove(c).catch((err: unknown) => this.#onError(err));
      const restart = Object.assign(document.createElement('button'), { type: 'button', textContent: t('cameras.restart'), title: t('cameras.restartHint') });
      restart.onclick = () => void apiSend('POST', `/api/cameras/${c.id}/restart`, {}).then(() => this.#load()).catch((err: unknown) => this.#onError(err));
      actions.append(edit, restart, remove);
      row.append(cell(c.name), cell(t(`state.${c.health.state}` as MessageKey)), cell(c.hasSubStream ? '✓' : '–'), cell(c.alwaysOn ? '✓' : '–'), actions);
      return row;
    }) : [Object.assign(document.createElement('tr'), { innerHTML: '<td colspan="5"></td>' })]));
    if (!this.#cameras.length) table.tBodies[0]!.querySelector('td')!.textContent = t('cameras.none');
    $('camera-form-title').textContent = this.#editing ? t('facilities.edit', { name: this.#editing.name }) : t('cameras.add');
    (($<HTMLFormElement>('camera-form').elements.namedItem('mainUrl')) as HTMLInputElement).required = !this.#editing;
    this.#renderProbe();
  }

  #edit(c: AdminCamera): void {
    this.#editing = c;
    this.#probe = undefined;
    const form = $<HTMLFormElement>('camera-form');
    form.reset();
    (form.elements.namedItem('name') as HTMLInputElement).value = c.name;
    (form.elements.namedItem('alwaysOn') as HTMLInputElement).checked = c.alwaysOn;
    (form.elements.namedItem('rtspBasicAuth') as HTMLInputElement).checked = c.rtspBasicAuth;
    (form.elements.namedItem('rtspTransport') as HTMLSelectElement).value = c.rtspTransport;
    (form.elements.namedItem('ingest') as HTMLSelectElement).value = c.ingest;
    this.render();
  }

  #renderProbe(): void {
    const box = $('probe-result');
    const p = this.#probe;
    box.hidden = !p;
    if (!p) return;
    box.className = `probe wide ${p.reachable && !p.failure ? 'ok' : 'failed'}`;
    const seconds = (p.elapsedMs / 1000).toFixed(1);
    $('probe-summary').textContent = p.failure
      ? t('probe.failed', { why: t(`probe.${p.failure.kind}` as MessageKey), detail: p.failure.realm ? `${p.failure.message}; realm "${p.failure.realm}"` : p.failure.message, seconds })
      : t('probe.ok', { seconds });
    const v = p.video;
    const facts: Array<[MessageKey, string]> = v ? [
      ['probe.codec', `${v.codec.toUpperCase()}${v.profile ? ` (${v.profile})` : ''}`],
      ['probe.resolution', v.width && v.height ? `${v.width}×${v.height}` : '–'],
      ['probe.fps', v.fps !== null ? String(v.fps) : '–'],
      ['probe.keyframes', v.keyframeIntervalS !== null ? `${v.keyframeIntervalS} s` : t('probe.keyframesLong')],
      ['probe.bitrate', v.bitrateKbps !== null ? `${v.bitrateKbps} kbit/s` : '–'],
      ['probe.audio', p.audio ? p.audio.codec.toUpperCase() : t('probe.noAudio')],
      ...(p.direct ? [['probe.direct', directFitness(p.direct)] as [MessageKey, string]] : []),
    ] : [];
    $('probe-facts').replaceChildren(...facts.flatMap(([k, value]) => [
      Object.assign(document.createElement('dt'), { textContent: t(k) }),
      // A camera that works but does not fit the direct path: a caution, not a failure.
      Object.assign(document.createElement('dd'), { textContent: value, className: k === 'probe.direct' && !p.direct?.fits ? 'caution' : '' }),
    ]));
    // A camera found fit for the direct path: one click chooses it (the installer still saves).
    const ingest = $<HTMLSelectElement>('camera-form').querySelector<HTMLSelectElement>('select[name=ingest]')!;
    $('probe-use-direct').hidden = !p.direct?.fits || ingest.value === 'direct';
    const img = $<HTMLImageElement>('probe-frame');
    img.hidden = !p.frameJpeg;
    if (p.frameJpeg) img.src = `data:image/jpeg;base64,${p.frameJpeg}`;
  }

  #fields() {
    const data = new FormData($<HTMLFormElement>('camera-form'));
    const text = (name: string) => String(data.get(name) ?? '').trim();
    return {
      name: text('name'), mainUrl: text('mainUrl'), subUrl: text('subUrl'), onvifUrl: text('onvifUrl'),
      rtspTransport: text('rtspTransport') as 'tcp' | 'udp', ingest: text('ingest') as AdminCamera['ingest'], alwaysOn: data.get('alwaysOn') === 'on',
      rtspBasicAuth: data.get('rtspBasicAuth') === 'on',
    };
  }

  async #runProbe(): Promise<void> {
    const f = this.#fields();
    $('camera-error').textContent = '';
    if (!f.mainUrl) {
      $('camera-error').textContent = t('cameras.urlFirst');
      return;
    }
    $('camera-probe').setAttribute('disabled', '');
    $('probe-summary').textContent = t('probe.running');
    $('probe-result').hidden = false;
    try {
      this.#probe = await apiSend<ProbeResult>('POST', '/api/cameras/probe', { url: f.mainUrl, rtspTransport: f.rtspTransport, rtspBasicAuth: f.rtspBasicAuth });
    } catch (err) {
      this.#probe = undefined;
      $('camera-error').textContent = formErrorText(err);
    } finally {
      $('camera-probe').removeAttribute('disabled');
    }
    this.render();
  }

  async #save(): Promise<void> {
    const f = this.#fields();
    $('camera-error').textContent = '';
    try {
      if (this.#editing) {
        await apiSend('PATCH', `/api/cameras/${this.#editing.id}`, {
          name: f.name, alwaysOn: f.alwaysOn, rtspTransport: f.rtspTransport, ingest: f.ingest, rtspBasicAuth: f.rtspBasicAuth,
          ...(f.mainUrl ? { mainUrl: f.mainUrl } : {}), ...(f.subUrl ? { subUrl: f.subUrl } : {}), ...(f.onvifUrl ? { onvifUrl: f.onvifUrl } : {}),
        });
      } else {
        await apiSend('POST', '/api/cameras', {
          name: f.name, mainUrl: f.mainUrl, facilityId: this.#facility!.id, alwaysOn: f.alwaysOn, rtspTransport: f.rtspTransport, ingest: f.ingest, rtspBasicAuth: f.rtspBasicAuth,
          ...(f.subUrl ? { subUrl: f.subUrl } : {}), ...(f.onvifUrl ? { onvifUrl: f.onvifUrl } : {}),
        });
      }
      this.#editing = undefined;
      this.#probe = undefined;
      $<HTMLFormElement>('camera-form').reset();
      await this.#load();
      this.#changed();
    } catch (err) {
      $('camera-error').textContent = formErrorText(err);
    }
  }

  async #remove(c: AdminCamera): Promise<void> {
    if (!confirm(t('cameras.confirmRemove', { name: c.name }))) return;
    await apiSend('DELETE', `/api/cameras/${c.id}`);
    if (this.#editing?.id === c.id) this.#editing = undefined;
    await this.#load();
    this.#changed();
  }
}
