// How a camera stream is pulled, decided in one place from the camera's options and what its
// runs have learned about its codec. Pure functions: CameraStream asks before each run
// (planIngest) and when a run reports the codec it found (afterCodec).
import type { IngestKind } from './Ingest.js';

export type TranscodeMode = 'auto' | 'always' | 'never';
/**
 * auto: the in-process RTSP relay for H.264 passthrough, ffmpeg otherwise; ffmpeg: always
 * ffmpeg; direct: the camera's RTP over UDP straight into the media worker (no relay in
 * between: the lowest latency, without what the relay adds; docs/media.md), ffmpeg where the
 * camera needs transcoding.
 */
export type IngestPath = 'auto' | 'ffmpeg' | 'direct';
export type RtspTransport = 'tcp' | 'udp';

/** The options of a camera stream that decide its ingest. */
export interface IngestOptions {
  url: string;
  transcode: TranscodeMode;
  ingestPath: IngestPath;
}

export interface IngestPlan {
  path: IngestKind;
  /** Re-encode to H.264 (ffmpeg only). */
  transcode: boolean;
  /** The relay passes H.265 through (its viewers decode it) instead of handing it to ffmpeg. */
  passH265: boolean;
}

/**
 * The next run's ingest. `learnedCodec`: the codec an earlier run found the camera sending
 * (ffmpeg names: h264, hevc, mjpeg, ...), if any.
 */
export function planIngest(o: IngestOptions, learnedCodec?: string): IngestPlan {
  const passH265 = o.transcode === 'never';
  const transcode = o.transcode === 'always' || (o.transcode === 'auto' && learnedCodec !== undefined && learnedCodec !== 'h264');
  const passthrough = !transcode && o.ingestPath !== 'ffmpeg' && o.url.startsWith('rtsp:');
  return { path: !passthrough ? 'ffmpeg' : o.ingestPath === 'direct' ? 'direct' : 'relay', transcode, passH265 };
}

export type CodecVerdict =
  | { action: 'keep' }
  /** The run cannot carry this codec but another plan can: end it, plan again with the codec learned. */
  | { action: 'switch' }
  /** Nothing can carry it under the camera's options: a camera failure with this reason. */
  | { action: 'fail'; reason: string };

/** What a run that found the camera sending `codec` should do. */
export function afterCodec(o: IngestOptions, run: IngestPlan, codec: string): CodecVerdict {
  if (codec === 'h264' || run.transcode) return { action: 'keep' };
  if (codec === 'hevc' && o.transcode === 'never') {
    return run.path !== 'ffmpeg'
      ? { action: 'keep' }
      : { action: 'fail', reason: 'camera sends H265, which only the RTSP relay or the direct path pass through (ingest is \'ffmpeg\' and transcode is \'never\')' };
  }
  if (o.transcode === 'never') return { action: 'fail', reason: `camera sends ${codec.toUpperCase()}, which browsers cannot play without transcoding (transcode is 'never')` };
  return { action: 'switch' };
}

/** The ffmpeg name of an RTP encoding name (H264 -> h264, H265 -> hevc). */
export function codecOfEncoding(encoding: string): string {
  const upper = encoding.toUpperCase();
  return upper === 'H265' ? 'hevc' : upper === 'JPEG' ? 'mjpeg' : upper === 'MP4V-ES' ? 'mpeg4' : encoding.toLowerCase();
}
