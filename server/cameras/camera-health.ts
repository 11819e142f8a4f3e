// The public health of a camera stream, derived from the ingest's phase.
import type { IngestStatus } from '../media/CameraStream.js';
import type { IngestKind } from '../media/Ingest.js';

/**
 * idle: nobody watches and it is not always-on, so it is not pulled (not a fault).
 * restarting: a new run replaces one ended by a settings change, a person's restart, a switch
 * to transcoding or a lost media worker (not a camera fault either).
 */
export type HealthState = 'idle' | 'connecting' | 'restarting' | 'live' | 'stalled' | 'offline';

export interface CameraHealth {
  state: HealthState;
  reason?: string;
  /** When the state began (ISO 8601). */
  since: string;
  lastFrameAt?: string;
  fps: number;
  bitrateKbps: number;
  restarts: number;
  /** The codec the camera sends, e.g. "h264", "hevc". */
  codec?: string;
  /** True when the server re-encodes (non-H.264 cameras). */
  transcoding: boolean;
  /** The ingest path of the current (or last) run: the in-process RTSP relay or ffmpeg. */
  ingest?: IngestKind;
  /** The H.264 profile the camera sends, e.g. "High". */
  profile?: string;
  /** Current viewers (and other holders, such as plugins). */
  viewers: number;
}

const stateOf: Record<IngestStatus['phase'], HealthState> = {
  idle: 'idle',
  starting: 'connecting',
  restarting: 'restarting',
  running: 'live',
  stalled: 'stalled',
  retrying: 'offline',
  closed: 'offline',
};

export function toHealth(s: IngestStatus): CameraHealth {
  const h: CameraHealth = {
    state: stateOf[s.phase],
    since: new Date(s.since).toISOString(),
    fps: s.fps,
    bitrateKbps: s.bitrateKbps,
    restarts: s.restarts,
    transcoding: s.transcoding,
    viewers: s.viewers,
  };
  if (s.reason !== undefined && s.phase !== 'running') h.reason = s.reason;
  if (s.lastFrameAt !== undefined) h.lastFrameAt = new Date(s.lastFrameAt).toISOString();
  if (s.inputCodec !== undefined) h.codec = s.inputCodec;
  if (s.ingest !== undefined) h.ingest = s.ingest;
  if (s.profile !== undefined) h.profile = s.profile.realName;
  return h;
}
