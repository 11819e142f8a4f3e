// What CameraStream needs from an ingest, whichever path pulls the camera: the in-process
// RTSP relay (RtspRelayIngest, passthrough H.264) or an ffmpeg process (FfmpegIngest,
// everything that needs transcoding) send RTP to the stream's PlainTransport from fixed local
// ports; the direct path (DirectIngest) has the camera send it there itself. All report what
// they learn, and never restart themselves.
import type { EventEmitter } from 'node:events';
import type { Producer } from 'mediasoup/node/lib/types.js';
import type { VideoRtpDescription } from './sdp.js';

export type IngestKind = 'relay' | 'ffmpeg' | 'direct';

/** Where an ingest sends RTP/RTCP, and how it stamps it. */
export interface IngestTarget {
  /** mediasoup PlainTransport's RTP and RTCP ports on 127.0.0.1. */
  rtpPort: number;
  rtcpPort: number;
  /** Fixed source ports: the stream's transport is connected to them and takes media from nowhere else. */
  localRtpPort: number;
  localRtcpPort: number;
  ssrc: number;
  payloadType: number;
}

export interface IngestInput {
  codec: string;
  profile?: string;
}

/** The RTP an ingest sends: codec description plus the header extensions it adds. */
export interface IngestRtp extends VideoRtpDescription {
  headerExtensions?: Array<{ uri: string; id: number }>;
  /** The ingest sends again what the SFU reports lost on the way in (generic NACK; the relay, from its GOP cache). */
  answersNacks?: boolean;
  /** The SSRC the producer must expect when it is not the stream's own (the direct path: the camera's). */
  ssrc?: number;
}

export interface IngestProgress {
  /** Video frames forwarded since this ingest started. */
  frames: number;
  /** Bytes forwarded since this ingest started. */
  bytes: number;
  /** RTP packets the camera sent that never arrived (sequence gaps; the relay only). */
  packetsLost?: number;
}

export interface IngestExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Human reason, credentials removed; e.g. "camera answered 404 Not Found". */
  reason: string;
  /** True when stop() asked for the exit. */
  requested: boolean;
}

/**
 * The camera's capture clock: RTP time `rtpTimestamp` was wall-clock `ntpMs` (ms since the
 * Unix epoch) at the camera, from its RTCP sender report. Viewers map a frame's RTP
 * timestamp through it to the frame's capture time.
 */
export interface CameraClock {
  ntpMs: number;
  rtpTimestamp: number;
  clockRate: number;
}

export interface IngestEvents {
  input: [IngestInput];
  /** A new camera clock mapping (relay only: ffmpeg consumes the camera's reports). */
  clock: [CameraClock];
  rtp: [IngestRtp];
  progress: [IngestProgress];
  exit: [IngestExit];
}

/**
 * A viewer's fast-start stream (see FastStart.ts): live packets are held from its opening;
 * start() replays the cached GOP (once its consumer can receive), close() ends it.
 */
export interface FastStart {
  start(): void;
  close(): void;
}

export interface Ingest extends EventEmitter<IngestEvents> {
  readonly kind: IngestKind;
  /** Process id when the ingest is a child process (fault-injection tests, ops). */
  readonly pid: number | undefined;
  /** Recent log lines with credentials removed. */
  readonly recentLog: readonly string[];
  /** Whether the camera answers keyframe requests (undefined: not known yet, or not told by this path). */
  readonly honoursKeyframeRequests?: boolean | undefined;
  /** The run's producer, once made from its 'rtp' description (the direct path reads its progress off it). */
  attachProducer?(producer: Producer): void;
  /** A stream of the cached GOP then live packets under `ssrc` (the relay only). */
  openFastStart?(ssrc: number, onEnd?: () => void): FastStart | undefined;
  /** Ends the ingest; resolves once it is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}
