// The video part of an SDP (a camera's DESCRIBE answer, or what ffmpeg's RTP muxer
// announces): codec, payload type, clock rate, fmtp, and the RTSP control URL.

export interface VideoRtpDescription {
  /** Upper-case encoding name from a=rtpmap, e.g. H264, H265, JPEG. */
  encoding: string;
  payloadType: number;
  clockRate: number;
  /** fmtp parameters, e.g. packetization-mode, profile-level-id, sprop-parameter-sets. */
  fmtp: Record<string, string>;
  /** a=control of the video media section (RTSP), if any. */
  control?: string;
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
  const control = section.find((l) => l.startsWith('a=control:'))?.slice('a=control:'.length).trim();
  return { encoding: rtpmap[2]!.toUpperCase(), payloadType: pt, clockRate: Number(rtpmap[3]), fmtp, ...(control ? { control } : {}) };
}

/** Session-level a=control (before the first m= line). */
export function sessionControl(sdp: string): string | undefined {
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) return undefined;
    if (line.startsWith('a=control:')) return line.slice('a=control:'.length).trim();
  }
  return undefined;
}

/** RFC 2326 C.1.1: a media control URL is absolute, '*', or relative to the base URL. */
export function resolveControl(base: string, control: string | undefined): string {
  if (!control || control === '*') return base;
  if (/^rtsp:\/\//i.test(control)) return control;
  return base.endsWith('/') ? base + control : `${base}/${control}`;
}


