// A scripted RTSP server for the relay's hostile-input tests and bench/hostile-camera.ts:
// it reads the relay's requests (skipping the RTCP the relay sends interleaved on the same
// connection) and lets a script answer each one, however it likes.
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
