// A scripted RTSP server for the relay's hostile-input tests and bench/hostile-camera.ts:
// it reads the relay's requests (skipping the RTCP the relay sends interleaved on the same
// connection) and lets a script answer each one, however it likes; and a scripted camera that
// sends its media over UDP.
import dgram from 'node:dgram';
import net from 'node:net';

/** A valid H.264 session description (Constrained Baseline, parameter sets in the SDP). */
export const SDP = [
  'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=cam', 't=0 0', 'a=control:*', 'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAHtkDxWhAAAADAEAAAAwDxYuS,aMuMsg==', 'a=control:track1', '',
].join('\r\n');

/** A valid answer up to PLAY (RTP interleaved on channels 0-1), as a function of the request. */
export function validAnswer(method: string, cseq: string): string {
  const head = `RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\n`;
  if (method === 'DESCRIBE') return `${head}Content-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(SDP)}\r\n\r\n${SDP}`;
  if (method === 'SETUP') return `${head}Session: 12345678;timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n`;
  return `${head}Session: 12345678\r\n\r\n`;
}

/** `data` framed for interleaved channel `channel` ($, channel, length). */
export const interleaved = (channel: number, data: Buffer) => Buffer.concat([Buffer.from([0x24, channel, data.length >> 8, data.length & 0xff]), data]);

export interface RtspRequest {
  method: string;
  cseq: string;
  /** The request line and headers. */
  head: string;
}

export type Script = (req: RtspRequest, sock: net.Socket) => void;

/** Listens on 127.0.0.1 and answers each request on each connection as `script` says. */
export async function hostileServer(script: Script): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        if (buf.startsWith('$')) {
          if (buf.length < 4) break;
          const len = (buf.charCodeAt(2) << 8) | buf.charCodeAt(3);
          if (buf.length < 4 + len) break;
          buf = buf.slice(4 + len);
          continue;
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const method = head.split(' ')[0]!;
        const cseq = /CSeq: (\d+)/i.exec(head)?.[1] ?? '0';
        if (!s.destroyed) script({ method, cseq, head }, s);
      }
    });
  }).listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  return {
    url: `rtsp://127.0.0.1:${(srv.address() as net.AddressInfo).port}/cam`,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); srv.close(() => r()); }),
  };
}

/** One H.264 packet, a whole frame (marker set): an IDR or a P slice, under SSRC 7. */
export const h264Packet = (seq: number, ts: number, idr: boolean, fill = 0) => {
  const p = Buffer.alloc(12 + 20, fill);
  p[0] = 0x80; p[1] = 0x80 | 96; p.writeUInt16BE(seq & 0xffff, 2); p.writeUInt32BE(ts >>> 0, 4); p.writeUInt32BE(7, 8); p[12] = idr ? 0x65 : 0x41;
  return p;
};

export interface UdpCameraOptions {
  /** The SSRC its SETUP answer names (none by default), or a function giving it at each SETUP. */
  setupSsrc?: number | (() => number);
}

/**
 * A scripted camera whose media goes over UDP from its own server ports: `packet(i)` gives the
 * i-th RTP packet (and an RTCP one if wanted), sent every 10 ms after PLAY while not `held`.
 * `playing`: the client ports SETUP named, once PLAY was answered. `sendNext()` sends the next
 * packet at once (with `held`, packet by packet).
 */
export async function udpCamera(packet: (i: number) => { rtp: Buffer; rtcp?: Buffer | undefined } = (i) => ({ rtp: h264Packet(i, i * 3600, i % 25 === 0, 0x11) }), o: UdpCameraOptions = {}) {
  const rtp = dgram.createSocket('udp4');
  const rtcp = dgram.createSocket('udp4');
  await Promise.all([rtp, rtcp].map((u) => new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()))));
  rtp.on('error', () => undefined);
  rtcp.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  let clientPorts: { rtp: number; rtcp: number } | undefined;
  let onPlaying!: (p: { rtp: number; rtcp: number }) => void;
  const playing = new Promise<{ rtp: number; rtcp: number }>((r) => { onPlaying = r; });
  let i = 0;
  const sendNext = () => {
    if (!clientPorts) return;
    const p = packet(i++);
    rtp.send(p.rtp, clientPorts.rtp, '127.0.0.1');
    if (p.rtcp) rtcp.send(p.rtcp, clientPorts.rtcp, '127.0.0.1');
  };
  const camera = {
    url: '',
    playing,
    held: false,
    sendNext,
    close: async () => {
      clearInterval(timer);
      rtp.close();
      rtcp.close();
      await srv.close();
    },
  };
  const srv = await hostileServer((r, s) => {
    if (r.method === 'SETUP') {
      const ports = /client_port=(\d+)-(\d+)/.exec(r.head);
      clientPorts = { rtp: Number(ports?.[1]), rtcp: Number(ports?.[2]) };
      const named = typeof o.setupSsrc === 'function' ? o.setupSsrc() : o.setupSsrc;
      const ssrc = named !== undefined ? `;ssrc=${named.toString(16).padStart(8, '0')}` : '';
      s.write(`RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nSession: 12345678;timeout=60\r\nTransport: RTP/AVP;unicast;client_port=${ports?.[1]}-${ports?.[2]};server_port=${rtp.address().port}-${rtcp.address().port}${ssrc}\r\n\r\n`);
      return;
    }
    s.write(validAnswer(r.method, r.cseq));
    if (r.method !== 'PLAY' || !clientPorts) return;
    timer ??= setInterval(() => { if (!camera.held) sendNext(); }, 10);
    onPlaying(clientPorts);
  });
  camera.url = srv.url;
  return camera;
}
