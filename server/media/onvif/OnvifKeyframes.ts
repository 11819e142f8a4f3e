// Keyframe requests to an ONVIF camera: SetSynchronizationPoint on the media profile that
// serves this stream. It reaches cameras that ignore RTCP PLI/FIR over RTSP (many do), and
// it is the only keyframe request an ffmpeg-pulled camera can get (ffmpeg drops the SFU's
// PLIs). The profile is found once, by matching each profile's RTSP URI with the stream's
// URL (host and credentials aside: a camera behind NAT reports its inside address).
import type { Logger } from '../../logger.js';
import { redactCredentials } from '../../util/redact.js';
import { splitCredentials } from '../rtsp/RtspConnection.js';
import { OnvifError, onvifClient, type OnvifClient } from './OnvifClient.js';

export interface OnvifKeyframesOptions {
  /** The device service URL; its user info, if any, are the ONVIF credentials. */
  deviceUrl: string;
  /** The stream's RTSP URL (its credentials serve when the device URL has none). */
  streamUrl: string;
  log: Logger;
  /** At most one request per this long (default 500 ms: each is an HTTP round trip, and an IDR a burst of bits). */
  minIntervalMs?: number;
  /** After a failed profile lookup, wait this long before looking again (default 30 s). */
  retryLookupMs?: number;
  timeoutMs?: number;
}

export interface OnvifKeyframeStats {
  sent: number;
  failed: number;
  profileToken?: string;
  lastError?: string;
}

/** What part of an RTSP URI identifies the stream on its camera. */
function streamKey(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname.replace(/\/+$/, '')}${u.search}`;
  } catch {
    return url;
  }
}

export class OnvifKeyframes {
  readonly #o: Required<Omit<OnvifKeyframesOptions, 'timeoutMs'>>;
  readonly #client: OnvifClient;
  #target?: Promise<{ mediaUrl: string; token: string }>;
  #lookupFailedAt = 0;
  #inFlight = false;
  #pending = false;
  #lastSentAt = 0;
  #timer?: NodeJS.Timeout;
  #closed = false;
  #lastLogged?: string;
  readonly stats: OnvifKeyframeStats = { sent: 0, failed: 0 };

  constructor(o: OnvifKeyframesOptions) {
    this.#o = { minIntervalMs: 500, retryLookupMs: 30_000, ...o };
    const device = splitCredentials(o.deviceUrl);
    const stream = splitCredentials(o.streamUrl);
    const username = device.username ?? stream.username;
    const password = device.username !== undefined ? device.password : stream.password;
    this.#client = onvifClient(device.url, username !== undefined ? { username, password: password ?? '' } : undefined, o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {});
  }

  /** Asks the camera for a keyframe; requests inside the interval are merged into one at its end. */
  request(): void {
    if (this.#closed) return;
    const wait = this.#lastSentAt + this.#o.minIntervalMs - Date.now();
    if (this.#inFlight || wait > 0) {
      this.#pending = true;
      if (!this.#inFlight && !this.#timer) this.#timer = setTimeout(() => this.#flush(), wait);
      return;
    }
    void this.#send();
  }

  #flush(): void {
    this.#timer = undefined;
    if (!this.#pending || this.#closed) return;
    this.#pending = false;
    this.request();
  }

  async #send(): Promise<void> {
    this.#inFlight = true;
    this.#lastSentAt = Date.now();
    try {
      const { mediaUrl, token } = await this.#lookup();
      await this.#client.setSynchronizationPoint(mediaUrl, token);
      this.stats.sent++;
      this.#lastLogged = undefined;
    } catch (err) {
      this.stats.failed++;
      const message = err instanceof OnvifError ? err.message : `ONVIF: ${(err as Error).message}`;
      this.stats.lastError = message;
      // One line per distinct failure, not one per viewer's keyframe request.
      if (message !== this.#lastLogged) this.#o.log.warn({ err: message }, 'ONVIF keyframe request failed');
      this.#lastLogged = message;
    } finally {
      this.#inFlight = false;
      if (this.#pending && !this.#closed) {
        this.#timer ??= setTimeout(() => this.#flush(), Math.max(0, this.#lastSentAt + this.#o.minIntervalMs - Date.now()));
      }
    }
  }

  /** The media service and the profile serving this stream, looked up once (again after a failure). */
  #lookup(): Promise<{ mediaUrl: string; token: string }> {
    if (this.#target && this.#lookupFailedAt && Date.now() - this.#lookupFailedAt >= this.#o.retryLookupMs) this.#target = undefined;
    this.#target ??= (async () => {
      this.#lookupFailedAt = 0;
      // The clock first: digest tokens are checked against the device's time.
      await this.#client.clockOffsetMs().catch(() => 0);
      const mediaUrl = await this.#client.mediaServiceUrl();
      const profiles = await this.#client.profiles(mediaUrl);
      if (!profiles.length) throw new OnvifError('ONVIF GetProfiles: the device has no media profiles');
      const want = streamKey(this.#o.streamUrl);
      const uris: string[] = [];
      for (const p of profiles) {
        const uri = await this.#client.streamUri(mediaUrl, p.token);
        if (streamKey(uri) === want) {
          this.stats.profileToken = p.token;
          this.#o.log.info({ profile: p.token, name: p.name }, 'ONVIF profile found for keyframe requests');
          return { mediaUrl, token: p.token };
        }
        uris.push(redactCredentials(uri));
      }
      throw new OnvifError(`ONVIF: no media profile streams ${want} (the device's profiles stream ${uris.join(', ')})`);
    })();
    this.#target.catch(() => (this.#lookupFailedAt = Date.now()));
    return this.#target;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
