// Whether a camera can use the direct path (`ingest: 'direct'`), found the way that path would
// take its stream: a session of its own over RTP/UDP, a few seconds long, for "test this
// camera". What the direct path needs from the camera, because nothing of ours is on the
// media's way to fix it (docs/media.md, "The direct path"):
//   - its SSRC in the SETUP answer (the worker matches packets to the stream by it);
//   - its parameter sets in the stream before keyframes, including one it was asked for
//     (browsers start decoding only there);
//   - a keyframe when asked (PLI): with no GOP cache on this path, that is how soon a new viewer
//     sees a picture; without it the viewer waits for the camera's next scheduled keyframe.
// The camera is hostile input: the check ends at its deadline whatever it sends.
import { randomInt } from 'node:crypto';
import { KeyframeSetsReader } from './rtp/keyframe-sets.js';
import { pliPacket } from './rtp/rtp.js';
import { RtspError } from './rtsp/RtspConnection.js';
import { readDescribe } from './rtsp/passthrough-track.js';
import { RtspSession } from './rtsp/RtspSession.js';

export interface DirectFitness {
  /** The camera can use the direct path (its SSRC named, parameter sets before keyframes). */
  fits: boolean;
  /** Why it cannot, or what could not be told (absent when it fits). */
  reason?: string;
  ssrcInSetup: boolean | null;
  /** The camera's RTP reached the server over UDP after PLAY (a firewall or NAT may stop it). */
  udpReached: boolean | null;
  /** Parameter sets before the keyframes after the first; null when none came in time. */
  setsBeforeKeyframes: boolean | null;
  /** A keyframe came within KEYFRAME_ANSWER_MS of a PLI; null when it was never asked. */
  keyframeOnRequest: boolean | null;
}

export interface DirectFitnessOptions {
  /** The camera's rtsp:// URL (credentials inside: never reported). */
  url: string;
  allowBasic: boolean;
  /** When the check must have ended (epoch ms). */
  deadline: number;
  ioTimeoutMs?: number;
}

/** How long after a PLI a keyframe counts as its answer. */
const KEYFRAME_ANSWER_MS = 1000;

/** Never throws for anything the camera does. */
export async function checkDirectFitness(o: DirectFitnessOptions): Promise<DirectFitness> {
  const unknown = (reason: string): DirectFitness => ({ fits: false, reason, ssrcInSetup: null, udpReached: null, setsBeforeKeyframes: null, keyframeOnRequest: null });
  let session: RtspSession | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const left = () => o.deadline - Date.now();
    const opened = await RtspSession.describe(
      { url: o.url, ioTimeoutMs: Math.min(o.ioTimeoutMs ?? 4000, Math.max(1, left())), allowBasic: o.allowBasic, note: () => undefined },
      (s) => { session = s; return true; },
    );
    if (!opened) return unknown('the camera could not be asked');
    // H.265 is judged as the camera sends it: whether viewers need it transcoded is the
    // camera's setting, and then no path is direct.
    const described = readDescribe(opened.answer, opened.session.url, true);
    if ('error' in described) return unknown(described.error);
    if ('desc' in described) return unknown(`the camera sends ${described.input.codec.toUpperCase()}, which only ffmpeg can carry`);
    const { track } = described;
    let setup;
    try {
      setup = await opened.session.setup(track.controlUrl, 'udp');
    } catch (err) {
      if (err instanceof RtspError) return unknown(`the camera refused RTP over UDP: ${err.message}`);
      throw err;
    }
    const { cameraSsrc, sessionTimeoutS } = setup;
    if (cameraSsrc === undefined) return { fits: false, reason: 'the camera names no SSRC in its SETUP answer', ssrcInSetup: false, udpReached: null, setsBeforeKeyframes: null, keyframeOnRequest: null };
    const sets = new KeyframeSetsReader(track.codec);
    const found: { sets: boolean | null; answered: boolean | null; askedAt?: number } = { sets: null, answered: null };
    const askForKeyframe = () => opened.session.sendRtcp(pliPacket(randomInt(1, 2 ** 31), cameraSsrc));
    let joinedMidway = false;
    let packets = 0;
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      timer = setTimeout(done, Math.max(0, left()));
      opened.session.once('closed', done);
      opened.session.on('rtp', (packet) => {
        packets++;
        // Only the camera's own stream: the session takes UDP from its media ports alone.
        if (packet.length < 12 || packet.readUInt32BE(8) !== cameraSsrc) return;
        const k = sets.read(packet);
        if (!k) {
          // Joined a camera's stream between keyframes (its encoder serves other sessions):
          // ask for one rather than wait out its keyframe interval.
          if (!joinedMidway && found.askedAt === undefined) {
            joinedMidway = true;
            askForKeyframe();
          }
          return;
        }
        const now = performance.now();
        if (k.index === 0) {
          // Encoders put their headers before a session's first keyframe anyway: ask for another.
          askForKeyframe();
          found.askedAt = now;
          return;
        }
        // The next keyframe tells both: whether it answered the request, and what came before it.
        found.sets = k.complete;
        found.answered = now - found.askedAt! <= KEYFRAME_ANSWER_MS;
        done();
      });
      void opened.session.play(track.sdp, track.base, sessionTimeoutS).catch(done);
    });
    if (found.askedAt !== undefined && found.answered === null && performance.now() - found.askedAt > KEYFRAME_ANSWER_MS) found.answered = false;
    const result = { ssrcInSetup: true, udpReached: packets > 0, setsBeforeKeyframes: found.sets, keyframeOnRequest: found.answered };
    // The direct path needs the camera's UDP to reach the node (as the relay over UDP does, not over TCP).
    if (packets === 0) return { fits: false, reason: 'no RTP reached the server over UDP after PLAY (a firewall or NAT between camera and server?): the direct path cannot be used; the relay over TCP can', ...result };
    if (found.askedAt === undefined) return { fits: false, reason: 'no keyframe came from the camera in time', ...result };
    // Judged on the keyframe that followed the request: with no GOP cache on this path, that is
    // where a new viewer starts. Some encoders (gst's x264) head only their scheduled ones.
    if (found.sets === false) return { fits: false, reason: `the camera's keyframe${found.answered ? ' sent when asked' : ''} came without its parameter sets (${track.codec.setNames.join('/').toUpperCase()}): a new viewer could not start there (the relay adds them: use ingest 'auto')`, ...result };
    if (found.sets === null) return { fits: false, reason: 'no keyframe came after the first in time to tell whether the parameter sets come before each', ...result };
    return { fits: true, ...result };
  } catch (err) {
    return unknown(err instanceof RtspError ? err.message : (err as Error).message);
  } finally {
    clearTimeout(timer);
    await (session as RtspSession | undefined)?.teardown(300);
  }
}
