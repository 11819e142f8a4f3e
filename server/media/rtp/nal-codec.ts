// The NAL-unit video codecs the relay passes through untouched: H.264 (RFC 6184) and H.265
// (RFC 7798). The relay asks every packet the same two questions — does it start a picture
// a decoder can begin at, and which parameter sets does it carry — and puts the parameter
// sets a camera announced only in its SDP in front of such a picture, as one aggregation
// packet, so a viewer joining mid-stream can decode. Views into the packet, never copies.
import { h264Units, parameterSetPacket, RTP_HEADER, spropParameterSets } from './rtp.js';

export type ParameterSetName = 'vps' | 'sps' | 'pps';
export type ParameterSets = Partial<Record<ParameterSetName, Buffer>>;

export interface NalUnits {
  /** The packet starts a picture a decoder can begin at (H.264 IDR; H.265 IRAP: IDR, CRA, BLA). */
  keyframeStart: boolean;
  sets: ParameterSets;
}

export interface NalCodec {
  /** The encoding name as SDP and mediasoup spell it. */
  readonly encoding: 'H264' | 'H265';
  /** The parameter sets a decoder needs before a keyframe, in the order they are sent. */
  readonly setNames: readonly ParameterSetName[];
  units(payload: Buffer): NalUnits;
  /** Parameter sets the camera announced in its SDP (a=fmtp). */
  spropSets(fmtp: Readonly<Record<string, string>>): ParameterSets;
  /** One RTP packet carrying `sets` (in setNames order), stamped like the keyframe it precedes. */
  parameterSetPacket(sets: readonly Buffer[], keyframe: Buffer): Buffer;
}

export const H264: NalCodec = {
  encoding: 'H264',
  setNames: ['sps', 'pps'],
  units(payload) {
    const u = h264Units(payload);
    return { keyframeStart: u.idrStart, sets: { ...(u.sps ? { sps: u.sps } : {}), ...(u.pps ? { pps: u.pps } : {}) } };
  },
  spropSets: (fmtp) => spropParameterSets(fmtp['sprop-parameter-sets']),
  parameterSetPacket: (sets, keyframe) => parameterSetPacket(sets[0]!, sets[1]!, keyframe),
};

// ---- H.265 (RFC 7798) --------------------------------------------------------------------

/** NAL unit type of an H.265 NAL unit or payload (the 2-byte header's bits 1–6). */
const h265Type = (b: Buffer) => (b[0]! >> 1) & 0x3f;
const H265_AP = 48;
const H265_FU = 49;
/** IRAP pictures (BLA_W_LP … CRA_NUT): a decoder can start at each. */
const isIrap = (t: number) => t >= 16 && t <= 21;
const H265_SET_TYPES: Record<number, ParameterSetName> = { 32: 'vps', 33: 'sps', 34: 'pps' };

/**
 * What an H.265 RTP payload holds. Single NAL unit packets, aggregation packets (AP, 48) and
 * the start fragment of a fragmentation unit (FU, 49). Cameras that send decoding-order
 * numbers (sprop-max-don-diff > 0) are not read for parameter sets: the relay never asks for
 * that mode in SETUP and cameras do not use it for live streams.
 */
export function h265Units(payload: Buffer): NalUnits {
  const out: NalUnits = { keyframeStart: false, sets: {} };
  if (payload.length < 2) return out;
  const see = (nal: Buffer) => {
    if (nal.length < 2) return;
    const t = h265Type(nal);
    if (isIrap(t)) out.keyframeStart = true;
    const name = H265_SET_TYPES[t];
    if (name) out.sets[name] = nal;
  };
  const type = h265Type(payload);
  if (type < H265_AP) see(payload);
  else if (type === H265_AP) {
    // AP: [payload header 2][size16][nal]...
    for (let off = 2; off + 2 <= payload.length;) {
      const size = payload.readUInt16BE(off);
      if (size === 0 || off + 2 + size > payload.length) break;
      see(payload.subarray(off + 2, off + 2 + size));
      off += 2 + size;
    }
  } else if (type === H265_FU && payload.length >= 3) {
    // FU: [payload header 2][S E type6]: the start fragment names the NAL type.
    if (payload[2]! & 0x80 && isIrap(payload[2]! & 0x3f)) out.keyframeStart = true;
  }
  return out;
}

export const H265: NalCodec = {
  encoding: 'H265',
  setNames: ['vps', 'sps', 'pps'],
  units: h265Units,
  spropSets(fmtp) {
    const out: ParameterSets = {};
    for (const name of ['vps', 'sps', 'pps'] as const) {
      // A list is allowed; the last one is the one in force.
      for (const part of (fmtp[`sprop-${name}`] ?? '').split(',')) {
        const nal = Buffer.from(part.trim(), 'base64');
        if (nal.length >= 2 && H265_SET_TYPES[h265Type(nal)] === name) out[name] = nal;
      }
    }
    return out;
  },
  parameterSetPacket(sets, keyframe) {
    const size = sets.reduce((n, s) => n + 2 + s.length, 0);
    const p = Buffer.alloc(RTP_HEADER + 2 + size);
    p[0] = 0x80;
    p[1] = keyframe[1]! & 0x7f; // no marker: the picture follows
    keyframe.copy(p, 4, 4, 12); // timestamp and SSRC of the keyframe
    let off = RTP_HEADER;
    // AP payload header: F=0, type 48, layer 0, the lowest temporal id among the units (TID+1 = 1).
    p[off++] = H265_AP << 1;
    p[off++] = 1;
    for (const s of sets) {
      p.writeUInt16BE(s.length, off);
      s.copy(p, off + 2);
      off += 2 + s.length;
    }
    return p;
  },
};

/** The passthrough codec for an SDP encoding name, if the relay can pass it through. */
export function nalCodec(encoding: string): NalCodec | undefined {
  return encoding === 'H264' ? H264 : encoding === 'H265' ? H265 : undefined;
}
