// Filing an incident from a tile: the picture on screen is captured the moment the person
// asks (what they saw, not what comes later), then they pick a category and describe it.
// The frame is uploaded right after the incident is filed.
import type { CameraSummary } from '../../server/cameras/CameraRegistry.js';
import { apiSend } from './api.js';
import { errorText, formatDateTime, t, type MessageKey } from './i18n.js';

export const CATEGORIES = ['PERSON_LEFT_ROOM', 'MISSING_MASK', 'UNAUTHORISED_VISITOR', 'STAFF_PROTOCOL_BREACH', 'CAMERA_TAMPERING', 'OTHER'] as const;

export interface FrameSource {
  readonly camera: CameraSummary | undefined;
  captureFrame(): Promise<Blob | undefined>;
}

export class IncidentDialog {
  readonly el: HTMLDialogElement;
  readonly #onDone: (message: string) => void;
  #frame?: Blob;
  #camera?: CameraSummary;
  #at = new Date();
  #preview?: string;
  /** Set once the incident is filed: a retry after a failed upload only sends the frame. */
  #filedId?: string;

  constructor(onDone: (message: string) => void) {
    this.#onDone = onDone;
    this.el = document.createElement('dialog');
    this.el.id = 'incident-dialog';
    this.el.innerHTML = `<form method="dialog">
      <h2 class="title"></h2>
      <p class="where muted"></p>
      <img class="frame" alt="">
      <p class="no-frame muted" hidden></p>
      <label><span class="l-category"></span><select name="category" required></select></label>
      <label><span class="l-note"></span><textarea name="note" rows="4" maxlength="2000" required></textarea></label>
      <p class="error" role="alert"></p>
      <div class="actions"><button type="button" class="cancel"></button><button type="submit" class="submit"></button></div>
    </form>`;
    const form = this.el.querySelector('form')!;
    form.onsubmit = (e) => {
      e.preventDefault();
      void this.#submit(new FormData(form));
    };
    this.el.querySelector<HTMLButtonElement>('.cancel')!.onclick = () => this.close();
    this.el.addEventListener('close', () => this.#clear());
    document.body.append(this.el);
  }

  /** Captures the tile's picture now and asks for the details. */
  async open(source: FrameSource): Promise<void> {
    if (!source.camera) return;
    this.#camera = source.camera;
    this.#at = new Date();
    this.#frame = await source.captureFrame();
    this.#render();
    this.el.showModal();
    this.el.querySelector('textarea')!.focus();
  }

  close(): void {
    this.el.close();
  }

  #render(): void {
    const q = <T extends Element>(s: string) => this.el.querySelector<T & HTMLElement>(s)!;
    q('.title').textContent = t('incident.report');
    q('.where').textContent = `${this.#camera?.name ?? ''} · ${formatDateTime(this.#at)}`;
    q('.l-category').textContent = t('incident.category');
    q('.l-note').textContent = t('incident.note');
    q('.cancel').textContent = t('incident.cancel');
    q('.submit').textContent = t('incident.submit');
    q('.error').textContent = '';
    const select = q<HTMLSelectElement>('select');
    select.replaceChildren(...CATEGORIES.map((c) => Object.assign(document.createElement('option'), { value: c, textContent: t(`cat.${c}` as MessageKey) })));
    const img = q<HTMLImageElement>('img.frame');
    if (this.#preview) URL.revokeObjectURL(this.#preview);
    this.#preview = this.#frame ? URL.createObjectURL(this.#frame) : undefined;
    img.hidden = !this.#preview;
    if (this.#preview) img.src = this.#preview;
    q('.no-frame').hidden = !!this.#frame;
    q('.no-frame').textContent = t('incident.noFrame');
  }

  async #submit(data: FormData): Promise<void> {
    const camera = this.#camera;
    if (!camera) return;
    const submit = this.el.querySelector<HTMLButtonElement>('.submit')!;
    submit.disabled = true;
    try {
      this.#filedId ??= (await apiSend<{ id: string }>('POST', '/api/incidents', {
        cameraId: camera.id, category: String(data.get('category')), note: String(data.get('note') ?? ''), occurredAt: this.#at.toISOString(),
      }))?.id;
      if (this.#filedId && this.#frame) await apiSend('PUT', `/api/incidents/${this.#filedId}/snapshot`, this.#frame);
      this.close();
      this.#onDone(t('incident.filed'));
    } catch (err) {
      this.el.querySelector('.error')!.textContent = t('incident.failed', { message: errorText(err) });
    } finally {
      submit.disabled = false;
    }
  }

  #clear(): void {
    if (this.#preview) URL.revokeObjectURL(this.#preview);
    this.#preview = undefined;
    this.#frame = undefined;
    this.#filedId = undefined;
    this.el.querySelector('form')!.reset();
  }
}
