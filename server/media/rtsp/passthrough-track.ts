// What a camera's DESCRIBE answer says to the passthrough ingests (the relay and the direct
// path): the codec it sends, and the track they can carry as it is, if any.
import type { IngestInput } from '../Ingest.js';
import { codecOfEncoding } from '../ingest-plan.js';
import { H265, nalCodec, type NalCodec } from '../rtp/nal-codec.js';
import { parseVideoSdp, resolveControl, type VideoRtpDescription } from '../sdp.js';
import { header, type RtspResponse } from './RtspConnection.js';

export interface PassthroughTrack {
  /** The whole SDP (PLAY's aggregate control comes from it). */
  sdp: string;
  desc: VideoRtpDescription;
  codec: NalCodec;
  /** Base URL of the presentation (Content-Base, Content-Location or the session's URL). */
  base: string;
  /** The track's own control URL (SETUP). */
  controlUrl: string;
}

/**
 * What a passthrough ingest does with a camera, in this order: report `input` (CameraStream
 * may switch the camera to transcoding on it), then fail with `error`, or carry `track`, or
 * else report `desc` as the camera's RTP (CameraStream switches it to ffmpeg).
 */
export type DescribedCamera =
  | { input: IngestInput; error: string }
  | { input: IngestInput; track: PassthroughTrack }
  | { input: IngestInput; desc: VideoRtpDescription };

/** Reads a DESCRIBE answer. */
export function readDescribe(answer: RtspResponse, sessionUrl: string, passH265: boolean): DescribedCamera {
  const sdp = answer.body.toString('utf8');
  const desc = parseVideoSdp(sdp);
  const staticPt = Number(/^m=video \d+ [^ ]+ (\d+)/m.exec(sdp)?.[1]);
  const input = { codec: desc ? codecOfEncoding(desc.encoding) : staticPt === 26 ? 'mjpeg' : 'unknown' };
  if (!desc) return { input, error: 'camera offers no video stream the relay can read' };
  const codec = nalCodec(desc.encoding);
  if (!codec || (codec === H265 && !passH265)) return { input, desc };
  // Every RTP-to-time conversion divides by it: 0 or an absurd rate is a broken camera.
  if (!(desc.clockRate >= 1000 && desc.clockRate <= 1_000_000)) return { input, error: `camera announced an invalid RTP clock rate (${desc.clockRate})` };
  const base = header(answer, 'content-base') ?? header(answer, 'content-location') ?? sessionUrl;
  return { input, track: { sdp, desc, codec, base, controlUrl: resolveControl(base, desc.control) } };
}
