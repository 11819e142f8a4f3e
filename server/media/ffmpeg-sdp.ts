// Reads what ffmpeg's demuxer saw in the camera's stream (its log), to learn the real codec
// of a camera. (Its RTP muxer's SDP is read with parseVideoSdp from sdp.ts.)

/** The input video codec as ffmpeg's log names it ("h264", "hevc", "mjpeg"), from "Stream #0:0: Video: h264 (High), ...". */
export function inputVideoCodec(logLine: string): { codec: string; profile?: string } | undefined {
  const m = /Stream #0:\d+.*?: Video: (\w+)(?: \(([^)]+)\))?/.exec(logLine);
  if (!m) return undefined;
  return m[2] ? { codec: m[1]!, profile: m[2] } : { codec: m[1]! };
}
