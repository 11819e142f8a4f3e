// Camera alerts: when a camera's main stream stays offline or stalled longer than a
// threshold, POST a signed JSON webhook ("camera.down") and record the event; when it is live
// again, "camera.recovered". One incident per outage: a delivery is retried with backoff under
// the same delivery id until the receiver accepts it, and never sent twice once accepted.
import { createHmac, randomUUID } from 'node:crypto';
import { definePlugin, z, type CameraHealthEvent, type PluginContext } from '../sdk/index.js';

const configSchema = z.object({
  /** Where alerts are POSTed. */
  webhookUrl: z.string().url().refine((u) => /^https?:/.test(u), 'must be http(s)'),
  /** HMAC-SHA256 key; the receiver checks X-Giamsat-Signature with it. */
  secret: z.string().min(16),
  /** A camera must be down this long before an alert goes out (short blips stay silent). */
  thresholdSeconds: z.number().min(0).max(86_400).default(60),
  /** Cameras to watch (ids); default every camera. */
  cameras: z.array(z.string().uuid()).optional(),
  retry: z.object({
    attempts: z.number().int().min(1).max(50).default(10),
    initialMs: z.number().int().min(50).max(60_000).default(1000),
    maxMs: z.number().int().min(100).max(3_600_000).default(60_000),
  }).strict().default({ attempts: 10, initialMs: 1000, maxMs: 60_000 }),
  /** Time limit of one delivery attempt. */
  timeoutMs: z.number().int().min(100).max(60_000).default(5000),
}).strict();

type Config = z.infer<typeof configSchema>;

const DOWN = new Set(['offline', 'stalled']);

interface Incident {
  id: string;
  cameraId: string;
  since: Date;
  reason?: string;
  /** Set once "camera.down" went out: only then does a recovery send "camera.recovered". */
  alerted: boolean;
  timer?: NodeJS.Timeout;
}

/** The signature the receiver recomputes: HMAC-SHA256 over "<timestamp>.<body>". */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

class Alerter {
  readonly #ctx: PluginContext<Config>;
  readonly #open = new Map<string, Incident>();
  /** Deliveries per camera run in order (a recovery never overtakes its alert). */
  readonly #queues = new Map<string, Promise<void>>();

  constructor(ctx: PluginContext<Config>) {
    this.#ctx = ctx;
  }

  #watched(cameraId: string): boolean {
    return !this.#ctx.config.cameras || this.#ctx.config.cameras.includes(cameraId);
  }

  onHealth(e: CameraHealthEvent): void {
    if (e.stream !== 'main' || !this.#watched(e.cameraId)) return;
    const open = this.#open.get(e.cameraId);
    if (DOWN.has(e.state)) {
      if (open) return; // still the same outage (offline -> stalled -> offline…)
      const incident: Incident = { id: randomUUID(), cameraId: e.cameraId, since: e.at, ...(e.reason ? { reason: e.reason } : {}), alerted: false };
      incident.timer = setTimeout(() => this.#alert(incident), this.#ctx.config.thresholdSeconds * 1000);
      this.#open.set(e.cameraId, incident);
      return;
    }
    if (e.state === 'connecting' || !open) return; // reconnecting is still down
    // live (or idle: nobody pulls it any more): the outage is over.
    clearTimeout(open.timer);
    this.#open.delete(e.cameraId);
    if (open.alerted && e.state === 'live') this.#recovered(open, e.at);
  }

  forget(cameraId: string): void {
    clearTimeout(this.#open.get(cameraId)?.timer);
    this.#open.delete(cameraId);
  }

  #camera(cameraId: string) {
    const c = this.#ctx.cameras().find((x) => x.id === cameraId);
    return { id: cameraId, name: c?.name ?? null, facilityId: c?.facilityId ?? null };
  }

  #alert(i: Incident): void {
    if (this.#open.get(i.cameraId) !== i) return;
    i.alerted = true;
    const payload = { type: 'camera.down', incidentId: i.id, camera: this.#camera(i.cameraId), since: i.since.toISOString(), reason: i.reason ?? null, at: new Date().toISOString() };
    this.#deliver(i.cameraId, payload);
  }

  #recovered(i: Incident, at: Date): void {
    const payload = {
      type: 'camera.recovered', incidentId: i.id, camera: this.#camera(i.cameraId), since: i.since.toISOString(),
      recoveredAt: at.toISOString(), downSeconds: Math.round((at.getTime() - i.since.getTime()) / 1000), at: new Date().toISOString(),
    };
    this.#deliver(i.cameraId, payload);
  }

  #deliver(cameraId: string, payload: { type: string; incidentId: string } & Record<string, unknown>): void {
    const prev = this.#queues.get(cameraId) ?? Promise.resolve();
    const next = prev.then(async () => {
      // The record and the webhook are independent: a database hiccup does not hold back the alert.
      await this.#ctx.emit(payload.type, payload, cameraId).catch((err: Error) => this.#ctx.log.error({ err: err.message }, 'cannot record alert'));
      await this.#post(payload);
    }).catch((err: Error) => this.#ctx.log.error({ camera: cameraId, type: payload.type, err: err.message }, 'alert not delivered'));
    this.#queues.set(cameraId, next);
    void next.finally(() => {
      if (this.#queues.get(cameraId) === next) this.#queues.delete(cameraId);
    });
  }

  async #post(payload: { type: string; incidentId: string }): Promise<void> {
    const { webhookUrl, secret, retry, timeoutMs } = this.#ctx.config;
    const body = JSON.stringify(payload);
    const delivery = `${payload.incidentId}:${payload.type}`;
    let lastError = '';
    for (let attempt = 1; attempt <= retry.attempts && !this.#ctx.signal.aborted; attempt++) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      try {
        const res = await fetch(webhookUrl, {
          method: 'POST', body,
          headers: {
            'content-type': 'application/json', 'x-giamsat-event': payload.type, 'x-giamsat-delivery': delivery,
            'x-giamsat-attempt': String(attempt), 'x-giamsat-timestamp': timestamp, 'x-giamsat-signature': signature(secret, timestamp, body),
          },
          signal: AbortSignal.any([this.#ctx.signal, AbortSignal.timeout(timeoutMs)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.#ctx.log.info({ delivery, attempt }, 'alert delivered');
          return;
        }
        lastError = `receiver answered ${res.status}`;
      } catch (err) {
        lastError = (err as Error).message;
      }
      const wait = Math.min(retry.maxMs, retry.initialMs * 2 ** (attempt - 1));
      this.#ctx.log.warn({ delivery, attempt, err: lastError, retryInMs: wait }, 'alert delivery failed');
      if (attempt < retry.attempts) await new Promise((r) => setTimeout(r, wait));
    }
    throw new Error(`gave up after ${retry.attempts} attempts: ${lastError}`);
  }

  dispose(): void {
    for (const i of this.#open.values()) clearTimeout(i.timer);
    this.#open.clear();
  }
}

export default definePlugin<Config>({
  manifest: {
    name: 'camera-alerts',
    version: '1.0.0',
    hostApi: '^1.0.0',
    needs: ['notify'],
    configSchema,
    description: 'Signed webhooks when a camera is down longer than a threshold, and when it recovers.',
  },
  setup(ctx) {
    const alerter = new Alerter(ctx);
    return {
      hooks: {
        cameraHealthChanged: (e) => alerter.onHealth(e),
        cameraRemoved: (id) => alerter.forget(id),
      },
      dispose: () => alerter.dispose(),
    };
  },
});
