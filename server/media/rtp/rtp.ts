// The RTP, RTCP and H.264-over-RTP (RFC 6184) details the relay needs: header checks and
// in-place rewrites (no copy per packet), parameter-set packets, the abs-capture-time header
// extension, and the RTCP packets it reads (sender reports, PLI/FIR) and writes.

export const RTP_HEADER = 12;

/** Length of the RTP header (fixed part, CSRCs, extension); undefined when it is not RTP. */
export function rtpHeaderLength(p: Buffer): number | undefined {
  if (p.length < RTP_HEADER || p[0]! >> 6 !== 2) return undefined;
  let len = RTP_HEADER + (p[0]! & 0x0f) * 4;
  if (p[0]! & 0x10) {
    if (p.length < len + 4) return undefined;
    len += 4 + p.readUInt16BE(len + 2) * 4;
  }
  if (p[0]! & 0x20) {
    const pad = p[p.length - 1]!;
    if (pad === 0 || len + pad > p.length) return undefined;
  }
  return len <= p.length ? len : undefined;
}

export const payloadType = (p: Buffer) => p[1]! & 0x7f;
export const marker = (p: Buffer) => (p[1]! & 0x80) !== 0;
export const sequenceNumber = (p: Buffer) => p.readUInt16BE(2);
export const timestamp = (p: Buffer) => p.readUInt32BE(4);
export const ssrc = (p: Buffer) => p.readUInt32BE(8);

/** Rewrites SSRC, payload type and sequence number in place. */
export function rewrite(p: Buffer, ssrcOut: number, pt: number, seq: number): void {
  p[1] = (p[1]! & 0x80) | pt;
  p.writeUInt16BE(seq & 0xffff, 2);
  p.writeUInt32BE(ssrcOut >>> 0, 8);
}

// ---- H.264 (RFC 6184) --------------------------------------------------------------------

export interface H264Units {
  /** The packet starts an IDR picture. */
  idrStart: boolean;
  sps?: Buffer;
  pps?: Buffer;
}

/** What a packet's payload holds: an IDR start, and SPS/PPS NAL units (views, not copies). */
export function h264Units(payload: Buffer): H264Units {
  const out: H264Units = { idrStart: false };
  if (payload.length < 1) return out;
  const type = payload[0]! & 0x1f;
  const see = (nal: Buffer) => {
    const t = nal[0]! & 0x1f;
    if (t === 5) out.idrStart = true;
    else if (t === 7) out.sps = nal;
    else if (t === 8) out.pps = nal;
  };
  if (type >= 1 && type <= 23) see(payload);
  else if (type === 24) {
    // STAP-A: [header][size16][nal]...
    for (let off = 1; off + 2 <= payload.length;) {
      const size = payload.readUInt16BE(off);
      if (size === 0 || off + 2 + size > payload.length) break;
      see(payload.subarray(off + 2, off + 2 + size));
      off += 2 + size;
    }
  } else if (type === 28 && payload.length >= 2) {
    // FU-A: the start fragment names the NAL type.
    if (payload[1]! & 0x80 && (payload[1]! & 0x1f) === 5) out.idrStart = true;
  }
  return out;
}

/** sprop-parameter-sets (base64 SPS,PPS) from the SDP. */
export function spropParameterSets(value: string | undefined): { sps?: Buffer; pps?: Buffer } {
  const out: { sps?: Buffer; pps?: Buffer } = {};
  for (const part of (value ?? '').split(',')) {
    const nal = Buffer.from(part.trim(), 'base64');
    if (nal.length === 0) continue;
    if ((nal[0]! & 0x1f) === 7) out.sps = nal;
    else if ((nal[0]! & 0x1f) === 8) out.pps = nal;
  }
  return out;
}

/** An RTP packet (STAP-A) carrying SPS and PPS, stamped like the IDR it precedes. */
export function parameterSetPacket(sps: Buffer, pps: Buffer, idr: Buffer): Buffer {
  const nri = Math.max(sps[0]! & 0x60, pps[0]! & 0x60);
  const p = Buffer.alloc(RTP_HEADER + 1 + 2 + sps.length + 2 + pps.length);
  p[0] = 0x80;
  p[1] = idr[1]! & 0x7f; // no marker: the picture follows
  idr.copy(p, 4, 4, 12); // timestamp and SSRC of the IDR
  let off = RTP_HEADER;
  p[off++] = nri | 24;
  p.writeUInt16BE(sps.length, off);
  sps.copy(p, off + 2);
  off += 2 + sps.length;
  p.writeUInt16BE(pps.length, off);
  pps.copy(p, off + 2);
  return p;
}

// ---- abs-capture-time (http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time) --

export const ABS_CAPTURE_TIME_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time';

/** NTP time (UQ32.32 seconds since 1900) of a wall-clock time in ms since the Unix epoch. */
export function ntpFromMs(ms: number): bigint {
  const NTP_EPOCH_OFFSET = 2208988800n;
  const sec = BigInt(Math.floor(ms / 1000)) + NTP_EPOCH_OFFSET;
  const frac = BigInt(Math.floor(((ms % 1000) / 1000) * 2 ** 32));
  return (sec << 32n) | frac;
}

export function msFromNtp(ntp: bigint): number {
  const sec = Number(ntp >> 32n) - 2208988800;
  const frac = Number(ntp & 0xffffffffn) / 2 ** 32;
  return (sec + frac) * 1000;
}

const YEAR_2000_MS = Date.UTC(2000, 0, 1);

/**
 * The wall-clock time (ms since the Unix epoch) a sender report gives, or undefined when the
 * sender has no clock: RFC 3550 (6.4.1) lets a sender without wallclock time send NTP 0,
 * and a camera whose clock was never set reports a time in 1900 or 1970. Either is no clock,
 * not an error (and no capture time can be derived from it).
 */
export function senderClockMs(ntp: bigint): number | undefined {
  const ms = msFromNtp(ntp);
  return ms >= YEAR_2000_MS ? ms : undefined;
}

/**
 * A copy of `p` with a one-byte-header extension carrying abs-capture-time (64-bit NTP
 * capture time) as `id`. Only for packets without an extension of their own; the caller
 * adds it to one packet now and then (receivers extrapolate by RTP timestamp in between).
 */
export function withAbsCaptureTime(p: Buffer, headerLen: number, id: number, captureNtp: bigint): Buffer {
  const ext = Buffer.alloc(16); // 0xBEDE, length 3 words, [id|len-1][8 bytes], 3 bytes padding
  ext.writeUInt16BE(0xbede, 0);
  ext.writeUInt16BE(3, 2);
  ext[4] = (id << 4) | 7;
  ext.writeBigUInt64BE(captureNtp, 5);
  const out = Buffer.concat([p.subarray(0, headerLen), ext, p.subarray(headerLen)]);
  out[0] = out[0]! | 0x10;
  return out;
}

// ---- RTCP --------------------------------------------------------------------------------

export interface SenderReport {
  ssrc: number;
  ntp: bigint;
  rtpTimestamp: number;
}

export interface RtcpSummary {
  senderReport?: SenderReport;
  /** A PLI or FIR asked for a keyframe. */
  keyframeRequest: boolean;
  /** Generic NACKs (RFC 4585): the sequence numbers asked for again, per media SSRC. */
  nacks?: Array<{ ssrc: number; seqs: number[] }>;
}

/** What one RTCP packet may ask to be sent again: a hostile or broken NACK asks no more. */
export const MAX_NACKED_SEQS = 256;

/** Reads a compound RTCP packet; stops at the first malformed part. */
export function readRtcp(b: Buffer): RtcpSummary {
  const out: RtcpSummary = { keyframeRequest: false };
  let nacked = 0;
  for (let off = 0; off + 4 <= b.length;) {
    if (b[off]! >> 6 !== 2) break;
    const len = (b.readUInt16BE(off + 2) + 1) * 4;
    if (off + len > b.length) break;
    const pt = b[off + 1]!;
    const fmt = b[off]! & 0x1f;
    if (pt === 200 && len >= 28) {
      out.senderReport = { ssrc: b.readUInt32BE(off + 4), ntp: b.readBigUInt64BE(off + 8), rtpTimestamp: b.readUInt32BE(off + 16) };
    } else if ((pt === 206 && (fmt === 1 || fmt === 4)) || (pt === 192)) {
      out.keyframeRequest = true; // PLI, FIR (RFC 5104) or the old RFC 2032 FIR
    } else if (pt === 205 && fmt === 1 && len >= 16) {
      // Generic NACK: media SSRC, then (PID, BLP) pairs: PID and each set bit i of BLP, PID+1+i.
      const seqs: number[] = [];
      for (let at = off + 12; at + 4 <= off + len && nacked + seqs.length < MAX_NACKED_SEQS; at += 4) {
        const pid = b.readUInt16BE(at);
        const blp = b.readUInt16BE(at + 2);
        seqs.push(pid);
        for (let i = 0; i < 16; i++) if (blp & (1 << i)) seqs.push((pid + 1 + i) & 0xffff);
      }
      seqs.length = Math.min(seqs.length, MAX_NACKED_SEQS - nacked);
      nacked += seqs.length;
      if (seqs.length > 0) (out.nacks ??= []).push({ ssrc: b.readUInt32BE(off + 8), seqs });
    }
    off += len;
  }
  return out;
}

/** An empty receiver report: starts every compound packet we send. */
function receiverReport(senderSsrc: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x80;
  b[1] = 201;
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  return b;
}

/** RR + PLI for `mediaSsrc` (a keyframe request to the camera). */
export function pliPacket(senderSsrc: number, mediaSsrc: number): Buffer {
  const pli = Buffer.alloc(12);
  pli[0] = 0x81;
  pli[1] = 206;
  pli.writeUInt16BE(2, 2);
  pli.writeUInt32BE(senderSsrc >>> 0, 4);
  pli.writeUInt32BE(mediaSsrc >>> 0, 8);
  return Buffer.concat([receiverReport(senderSsrc), pli]);
}

/** RR alone: keeps a UDP session's RTCP path alive and tells the SFU our RTCP address. */
export const emptyReceiverReport = receiverReport;

/** A sender report (no report blocks) for `ssrcOut`, carrying the camera's clock mapping. */
export function senderReport(ssrcOut: number, sr: SenderReport, packets: number, octets: number): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(ssrcOut >>> 0, 4);
  b.writeBigUInt64BE(sr.ntp, 8);
  b.writeUInt32BE(sr.rtpTimestamp >>> 0, 16);
  b.writeUInt32BE(packets >>> 0, 20);
  b.writeUInt32BE(octets >>> 0, 24);
  return b;
}
