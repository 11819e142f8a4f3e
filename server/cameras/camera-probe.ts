// "Test this camera": what a technician on site needs before saving a camera, within 10 s,
// found from the server (which is where the stream will be pulled from): whether the camera
// answers and, if not, why (refused, timeout, 401 with the camera's realm, 404, name that does
// not resolve); its codec and profile, resolution, frame rate, keyframe interval, bitrate and
// whether it has audio; one decoded frame as a JPEG; and whether it could use the direct path
// (media/direct-fitness.ts). The RTSP DESCRIBE goes through the
// relay's own RTSP client (so the failure is classified exactly); ffmpeg then reads about three
// seconds of the stream. The camera is hostile input: every output is bounded and the whole
// probe is killed at its deadline.
import { spawn } from 'node:child_process';
import { checkDirectFitness, type DirectFitness } from '../media/direct-fitness.js';
import { BasicAuthRefused, RtspConnection, RtspError, splitCredentials } from '../media/rtsp/RtspConnection.js';
import { Gate } from '../util/Gate.js';

/** The whole probe's deadline, and how long the stream is sampled once it plays. */
export const PROBE_DEADLINE_MS = 10_000;
const CONNECT_MS = 4_000;
const SAMPLE_S = 3;
const MAX_STDERR = 512 * 1024;
const MAX_FRAME = 4 * 1024 * 1024;
/**
 * The direct-path check's own limit (within the probe's deadline): the first keyframe, then
 * the one asked for; a camera that answers no request is given one scheduled keyframe.
 */
const DIRECT_CHECK_MS = 5_000;

/** Probes of the whole node at once (each is an ffmpeg decoding a stream); more wait, up to a point. */
const gate = new Gate(2, 8);

export type ProbeFailure = 'refused' | 'timeout' | 'unauthorized' | 'basic-only' | 'not-found' | 'unresolvable' | 'unreachable' | 'no-video' | 'rtsp-error';

export interface ProbeResult {
  reachable: boolean;
  /** Why the camera could not be read (absent when it could). */
  failure?: { kind: ProbeFailure; message: string; status?: number; realm?: string };
  video?: {
    codec: string;
    profile: string | null;
    width: number | null;
    height: number | null;
    fps: number | null;
    /** Seconds between keyframes; null when fewer than two came in the sample. */
    keyframeIntervalS: number | null;
    bitrateKbps: number | null;
  };
  audio: { codec: string } | null;
  /** One decoded frame (image/jpeg, base64), when one came. */
  frameJpeg?: string;
  /** Whether the camera can use the direct path (`ingest: 'direct'`); rtsp:// cameras that answered only. */
  direct?: DirectFitness;
  /** How long the probe took. */
  elapsedMs: number;
}

function classify(err: RtspError): NonNullable<ProbeResult['failure']> {
  const m = err.message;
  const kind: ProbeFailure = err instanceof BasicAuthRefused ? 'basic-only'
    : err.status === 401 ? 'unauthorized'
    : err.status === 404 ? 'not-found'
      : /refused/.test(m) ? 'refused'
        : /in time/.test(m) ? 'timeout'
          : /does not resolve/.test(m) ? 'unresolvable'
            : /unreachable/.test(m) ? 'unreachable' : 'rtsp-error';
  return { kind, message: m, ...(err.status !== undefined ? { status: err.status } : {}), ...(err.realm ? { realm: err.realm } : {}) };
}

/** DESCRIBE (with the URL's credentials): the failure, or the SDP's media lines. */
async function describe(url: string, allowBasic: boolean): Promise<{ failure?: ProbeResult['failure']; sdp?: string }> {
  const { url: bare, ...credentials } = splitCredentials(url);
  let conn: RtspConnection | undefined;
  try {
    conn = await RtspConnection.connect(bare, CONNECT_MS, { ...credentials, allowBasic });
    let target = bare;
    for (let hop = 0; hop < 3; hop++) {
      const res = await conn.request('DESCRIBE', target, { Accept: 'application/sdp' });
      const location = res.status >= 300 && res.status < 400 ? res.headers.get('location')?.[0] : undefined;
      if (!location) return { sdp: res.body.toString('utf8') };
      // A redirect to another host needs another connection: ffmpeg follows it below.
      if (new URL(location).host !== new URL(target).host) return {};
      target = location;
    }
    return { failure: { kind: 'rtsp-error', message: 'camera redirects in a loop' } };
  } catch (err) {
    if (err instanceof RtspError) return { failure: classify(err) };
    return { failure: { kind: 'rtsp-error', message: (err as Error).message } };
  } finally {
    conn?.close();
  }
}

/** What ffmpeg's log says about the stream: codec line, per-frame info, bytes read. */
export function readFfmpegLog(log: string): Pick<ProbeResult, 'video' | 'audio'> {
  const videoLine = /Stream #0:\d+[^:]*: Video: ([a-z0-9]+)(?: \(([^)]+)\))?[^\n]*?(?:, (\d{2,5})x(\d{2,5}))?/.exec(log);
  const audioLine = /Stream #0:\d+[^:]*: Audio: ([a-z0-9_]+)/.exec(log);
  const frames = [...log.matchAll(/\[Parsed_showinfo[^\]]*\] n:\s*\d+ .*?pts_time:([0-9.]+).*? s:(\d+)x(\d+).*? iskey:(\d)/g)]
    .map((m) => ({ t: Number(m[1]), w: Number(m[2]), h: Number(m[3]), key: m[4] === '1' }));
  const span = frames.length > 1 ? frames[frames.length - 1]!.t - frames[0]!.t : 0;
  const keys = frames.filter((f) => f.key).map((f) => f.t);
  const gaps = keys.slice(1).map((t, i) => t - keys[i]!);
  const bytes = /Input stream #0:\d+ \(video\): \d+ packets read \((\d+) bytes\)/.exec(log);
  const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
  return {
    video: videoLine ? {
      codec: videoLine[1]!,
      profile: videoLine[2] && !/^[0-9a-f]{4}|0x/.test(videoLine[2]) ? videoLine[2] : null,
      width: frames[0]?.w ?? (videoLine[3] ? Number(videoLine[3]) : null),
      height: frames[0]?.h ?? (videoLine[4] ? Number(videoLine[4]) : null),
      fps: span > 0 ? round((frames.length - 1) / span) : null,
      keyframeIntervalS: gaps.length ? round(gaps.reduce((a, b) => a + b, 0) / gaps.length, 2) : null,
      bitrateKbps: bytes && span > 0 ? Math.round((Number(bytes[1]) * 8) / span / 1000) : null,
    } : undefined,
    audio: audioLine ? { codec: audioLine[1]! } : null,
  };
}

/** About SAMPLE_S seconds of the stream through ffmpeg: its log and one JPEG frame. */
function sample(ffmpeg: string, url: string, transport: 'tcp' | 'udp', deadline: number): Promise<{ log: string; frame?: Buffer; code: number | null }> {
  return new Promise((resolve) => {
    const args = [
      // -t on the input: ffmpeg stops reading and exits by itself (as an output option it kept
      // the RTSP input open once both outputs were done, until killed).
      '-hide_banner', '-nostdin', '-v', 'verbose', '-rtsp_transport', transport, '-timeout', String(CONNECT_MS * 1000),
      '-t', String(SAMPLE_S), '-i', url,
      '-map', '0:v:0', '-vf', 'showinfo', '-f', 'null', '-',
      '-map', '0:v:0', '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', '5', '-f', 'image2pipe', 'pipe:1',
    ];
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const frame: Buffer[] = [];
    let frameBytes = 0;
    child.stderr.on('data', (d: Buffer) => {
      if (log.length < MAX_STDERR) log += d.toString('utf8');
    });
    child.stdout.on('data', (d: Buffer) => {
      frameBytes += d.length;
      if (frameBytes <= MAX_FRAME) frame.push(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, deadline - Date.now()));
    child.once('error', () => {
      clearTimeout(timer);
      resolve({ log, code: -1 });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ log, code, ...(frameBytes > 0 && frameBytes <= MAX_FRAME ? { frame: Buffer.concat(frame) } : {}) });
    });
  });
}

/** Classifies what ffmpeg says when it cannot read (rtsps, or a redirect the DESCRIBE did not follow). */
function ffmpegFailure(log: string): ProbeResult['failure'] {
  const rules: Array<[RegExp, ProbeFailure, string]> = [
    [/401 Unauthorized/i, 'unauthorized', 'camera refused the credentials (401 Unauthorized)'],
    [/404 Not Found/i, 'not-found', 'camera has no stream at that path (404 Not Found)'],
    [/Connection refused/i, 'refused', 'connection refused by the camera host'],
    [/timed out|Operation timed out/i, 'timeout', 'camera did not answer in time'],
    [/resolve|Name or service not known/i, 'unresolvable', 'camera host name does not resolve'],
  ];
  for (const [re, kind, message] of rules) if (re.test(log)) return { kind, message };
  return { kind: 'no-video', message: 'no video could be read from the stream' };
}

/**
 * Probes `url` (rtsp:// or rtsps://, credentials inside) within PROBE_DEADLINE_MS; `allowBasic`:
 * the camera's `rtspBasicAuth`. Never
 * throws for anything the camera does; rejects with GateFullError when too many probes wait.
 */
export function probeCamera(ffmpeg: string, url: string, transport: 'tcp' | 'udp' = 'tcp', allowBasic = false): Promise<ProbeResult> {
  return gate.run(async () => {
    const started = Date.now();
    const deadline = started + PROBE_DEADLINE_MS - 250;
    const done = (r: Omit<ProbeResult, 'elapsedMs'>): ProbeResult => ({ ...r, elapsedMs: Date.now() - started });
    if (url.startsWith('rtsp://')) {
      // The same rule as the stream's: Basic over plain RTSP only where the camera allows it
      // (ffmpeg below would answer it unasked).
      const d = await describe(url, allowBasic);
      if (d.failure) return done({ reachable: false, failure: d.failure, audio: null });
      if (d.sdp !== undefined && !/^m=video /m.test(d.sdp)) return done({ reachable: true, failure: { kind: 'no-video', message: 'the camera\'s stream has no video' }, audio: null });
    }
    const { log, frame } = await sample(ffmpeg, url, transport, deadline);
    const found = readFfmpegLog(log);
    if (!found.video || (!frame && found.video.fps === null)) {
      const failure = ffmpegFailure(log) ?? { kind: 'no-video' as const, message: 'no video could be read from the stream' };
      return done({ reachable: failure.kind === 'no-video', failure, audio: found.audio });
    }
    // After ffmpeg's sample, not beside it: the check asks the camera for a keyframe, which
    // would show in the sample's keyframe interval (a camera's encoder serves every session).
    // A session of its own, as the direct path would hold it (RTP/UDP).
    const fitness = url.startsWith('rtsp://') ? await checkDirectFitness({ url, allowBasic, deadline: Math.min(deadline, Date.now() + DIRECT_CHECK_MS) }) : undefined;
    return done({ reachable: true, video: found.video, audio: found.audio, ...(frame ? { frameJpeg: frame.toString('base64') } : {}), ...(fitness ? { direct: fitness } : {}) });
  });
}
