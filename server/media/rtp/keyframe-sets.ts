// Whether a camera's parameter sets come in the stream before each keyframe. A browser's
// decoder starts only at a keyframe preceded by them; the relay puts the SDP's in front of
// each keyframe, but where nothing of ours is on the media's way (the direct path) the camera
// must send them itself. Read packet by packet, as they arrive.
import type { NalCodec, ParameterSetName } from './nal-codec.js';
import { rtpHeaderLength } from './rtp.js';

/** A keyframe's start, numbered from 0 for the first seen, and whether all the codec's sets came since the previous one. */
export interface KeyframeSets {
  index: number;
  complete: boolean;
}

export class KeyframeSetsReader {
  readonly #codec: NalCodec;
  readonly #seen = new Set<ParameterSetName>();
  #keyframes = 0;

  constructor(codec: NalCodec) {
    this.#codec = codec;
  }

  /** One RTP packet: at a keyframe's start, what came before it; otherwise undefined. */
  read(packet: Buffer): KeyframeSets | undefined {
    const headerLen = rtpHeaderLength(packet);
    if (headerLen === undefined) return undefined;
    const units = this.#codec.units(packet.subarray(headerLen));
    for (const name of Object.keys(units.sets) as ParameterSetName[]) this.#seen.add(name);
    if (!units.keyframeStart) return undefined;
    const complete = this.#codec.setNames.every((n) => this.#seen.has(n));
    this.#seen.clear();
    return { index: this.#keyframes++, complete };
  }
}
