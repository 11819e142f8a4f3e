// What a camera is, as the API and the config file accept it.
import { z } from 'zod';
import type { IngestPath, RtspTransport, TranscodeMode } from '../media/ingest-plan.js';

/** A URL of one of `protocols` (e.g. "rtsp:") with a host. */
const urlOf = (protocols: string[], message: string) =>
  z.string().max(2048).refine((s) => {
    try {
      const u = new URL(s);
      return protocols.includes(u.protocol) && u.hostname.length > 0;
    } catch {
      return false;
    }
  }, { message });

/** rtsp:// or rtsps:// with a host; anything else is refused before it reaches ffmpeg. */
export const rtspUrl = urlOf(['rtsp:', 'rtsps:'], 'must be an rtsp:// or rtsps:// URL with a host');

/** An ONVIF device service: http:// or https:// with a host. */
export const onvifUrl = urlOf(['http:', 'https:'], "must be an http:// or https:// URL with a host (the camera's ONVIF device service)");

// The ingest options are media's types (media/ingest-plan.ts); these are their validators.
export const transcodeMode = z.enum(['auto', 'always', 'never']) satisfies z.ZodType<TranscodeMode>;
/** auto: the in-process RTSP relay for H.264 passthrough, ffmpeg otherwise; ffmpeg: always ffmpeg. */
export const ingestPath = z.enum(['auto', 'ffmpeg', 'direct']) satisfies z.ZodType<IngestPath>;
export const rtspTransport = z.enum(['tcp', 'udp']) satisfies z.ZodType<RtspTransport>;

/** The fields of a camera, without defaults (a patch names only what changes). */
const cameraFields = {
  name: z.string().trim().min(1).max(200),
  location: z.string().trim().max(200).optional(),
  mainUrl: rtspUrl,
  subUrl: rtspUrl.optional(),
  /** The facility the camera belongs to (decides who may watch it and who administers it). */
  facilityId: z.string().uuid().optional(),
  /** Keep ingest running with no viewers (e.g. for recording). */
  alwaysOn: z.boolean(),
  /**
   * auto: copy H.264, transcode anything else; always: re-encode to Constrained Baseline;
   * never: no re-encoding — H.265 is then passed through (for viewers that decode it), other
   * codecs are refused.
   */
  transcode: transcodeMode,
  /** Which ingest pulls the camera (auto: the relay whenever it can; direct: RTP over UDP straight into the SFU). */
  ingest: ingestPath,
  /** RTP over the RTSP connection (tcp) or over UDP. */
  rtspTransport: rtspTransport,
  /**
   * Answer the camera's Basic challenge over plain rtsp://, where the password travels
   * readable. Off by default: a camera that offers only Basic is then refused with that reason.
   */
  rtspBasicAuth: z.boolean(),
  /**
   * The camera's ONVIF device service (e.g. http://user:pass@10.0.0.5/onvif/device_service;
   * without user info the RTSP URL's credentials are used): keyframe requests then also go
   * out as ONVIF SetSynchronizationPoint. null removes it.
   */
  onvifUrl: onvifUrl.nullable().optional(),
};

/** A new camera (the API, the config file): unnamed options take their defaults. */
export const cameraInputSchema = z.object({
  ...cameraFields,
  alwaysOn: cameraFields.alwaysOn.default(false),
  transcode: cameraFields.transcode.default('auto'),
  ingest: cameraFields.ingest.default('auto'),
  rtspTransport: cameraFields.rtspTransport.default('tcp'),
  rtspBasicAuth: cameraFields.rtspBasicAuth.default(false),
});

/**
 * A change: only the fields given. Built without defaults, since zod fills a default even
 * inside an optional field (a patch of the name would otherwise turn alwaysOn off).
 */
export const cameraPatchSchema = z.object(cameraFields).partial();

export type CameraInput = z.infer<typeof cameraInputSchema>;
export type { IngestPath, RtspTransport, TranscodeMode };
