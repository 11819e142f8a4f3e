// Reads what ffmpeg's RTP muxer announces (its SDP) and what its demuxer saw in the
// camera's stream (its log), to learn the real codec parameters of a camera.

export interface VideoRtpDescription {
  /** Upper-case encoding name from a=rtpmap, e.g. H264, H265, JPEG. */
  encoding: string;
  payloadType: number;
  clockRate: number;
  /** fmtp parameters, e.g. packetization-mode, profile-level-id, sprop-parameter-sets. */
  fmtp: Record<string, string>;
}

/** Parses the video media section of an SDP; returns undefined when there is none. */
export function parseVideoSdp(sdp: string): VideoRtpDescription | undefined {
  const lines = sdp.split(/\r?\n/);
  const start = lines.findIndex((l) => l.startsWith('m=video'));
  if (start < 0) return undefined;
  const section = [];
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    if (i > start && line.startsWith('m=')) break;
    section.push(line);
  }
  const pt = Number(section[0]!.split(' ')[3]);
  const rtpmap = section.map((l) => /^a=rtpmap:(\d+) ([^/]+)\/(\d+)/.exec(l)).find((m) => m && Number(m[1]) === pt);
  if (!rtpmap) return undefined;
  const fmtp: Record<string, string> = {};
  const fmtpLine = section.find((l) => l.startsWith(`a=fmtp:${pt} `));
  if (fmtpLine) {
    for (const part of fmtpLine.slice(fmtpLine.indexOf(' ') + 1).split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0) fmtp[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
  }
  return { encoding: rtpmap[2]!.toUpperCase(), payloadType: pt, clockRate: Number(rtpmap[3]), fmtp };
}

/** The input video codec as ffmpeg's log names it ("h264", "hevc", "mjpeg"), from "Stream #0:0: Video: h264 (High), ...". */
export function inputVideoCodec(logLine: string): { codec: string; profile?: string } | undefined {
  const m = /Stream #0:\d+.*?: Video: (\w+)(?: \(([^)]+)\))?/.exec(logLine);
  if (!m) return undefined;
  return m[2] ? { codec: m[1]!, profile: m[2] } : { codec: m[1]! };
}
