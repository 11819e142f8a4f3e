// Where viewers reach a worker's WebRTC server: one UDP and one TCP port per worker, on IPv4 and,
// when an IPv6 address is announced, on IPv6 too (the same port numbers; each socket is bound to
// its own family). A worker can announce one address per listening socket; the other addresses
// of the same family (a LAN address beside a public one, say) reach the same socket through the
// network, so they are offered as extra candidates of every transport. The server is ICE-lite:
// it answers a browser's checks on whichever of its addresses they arrive.
import { isIPv6 } from 'node:net';
import type { IceCandidate, WebRtcServerListenInfo } from 'mediasoup/node/lib/types.js';

export interface ViewerAddressing {
  listenIp: string;
  /** Viewers' addresses in order of preference; absent: [announcedIp]. */
  announcedAddresses?: string[];
  announcedIp: string;
  webRtcPort?: number;
  webRtcTcpPort?: number;
}

const addressesOf = (m: ViewerAddressing) => m.announcedAddresses ?? [m.announcedIp];

/** The WebRTC server's sockets for worker `index`. */
export function viewerListenInfos(m: ViewerAddressing, index: number): WebRtcServerListenInfo[] {
  const udp = m.webRtcPort === undefined ? {} : { port: m.webRtcPort + index };
  const tcpBase = m.webRtcTcpPort ?? m.webRtcPort;
  const tcp = tcpBase === undefined ? {} : { port: tcpBase + index };
  const infos: WebRtcServerListenInfo[] = [];
  const all = addressesOf(m);
  const v4 = all.find((a) => !isIPv6(a));
  const v6 = all.find((a) => isIPv6(a));
  if (v4) infos.push({ protocol: 'udp', ip: m.listenIp, announcedIp: v4, ...udp }, { protocol: 'tcp', ip: m.listenIp, announcedIp: v4, ...tcp });
  if (v6) infos.push({ protocol: 'udp', ip: '::', announcedIp: v6, ...udp }, { protocol: 'tcp', ip: '::', announcedIp: v6, ...tcp });
  return infos;
}

/**
 * A transport's candidates with the extra addresses added: each announced address beyond the
 * first of its family, as a copy of that family's candidates, ranked just below them.
 */
export function withExtraAddresses(candidates: readonly IceCandidate[], m: ViewerAddressing): IceCandidate[] {
  const all = addressesOf(m);
  const out = [...candidates];
  for (const family of [false, true]) {
    const same = all.filter((a) => isIPv6(a) === family);
    same.slice(1).forEach((extra, k) => {
      for (const c of candidates.filter((x) => isIPv6(x.ip) === family)) {
        out.push({ ...c, ip: extra, foundation: `${c.foundation}${k + 1}`, priority: c.priority - 256 * (k + 1) });
      }
    });
  }
  return out;
}
