// Where a frame's packets spend their time between processes, read off the wire: a capture of
// the loopback interface (tcpdump) taken while bench:latency runs, split into UDP flows, each
// flow's packets grouped into frames (a burst: packets less than 8 ms apart; at 25 fps frames
// are 40 ms apart), and, for each pair of flows named, the time from a frame's packets on the
// first flow to the same frame's on the second (the next burst to start within 20 ms). What the
// kernel stamps is when a packet was handed to loopback, so a hop is the receiving process's
// wake-up, its work on the packet and its send, with no browser or display in it.
//   tcpdump -i lo -n -s 64 -w /tmp/hops.pcap udp &   (then bench:latency --transports udp)
//   npm run bench:wire-hops -- /tmp/hops.pcap                      lists the flows
//   npm run bench:wire-hops -- /tmp/hops.pcap 52418>42100 36780>47295 ...   hops between pairs
// Flows are named "sourcePort>destinationPort". With giamsat: camera -> relay, relay -> worker
// (the same packet sizes), worker -> browser (SRTP: larger); with Janus: camera -> Janus, Janus
// -> browser. RTCP and packets under 60 bytes are left out.
import fs from 'node:fs';

interface Burst { first: number; last: number; packets: number }

/** UDP packets of a pcap file (Ethernet, Linux cooked v1/v2 or raw link types; IPv4 and IPv6). */
function readPcap(file: string): Array<{ t: number; flow: string; length: number; rtcp: boolean }> {
  const buf = fs.readFileSync(file);
  const magic = buf.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`${file}: not a little-endian pcap file (pcapng is not read; tcpdump -w writes pcap)`);
  const nano = magic === 0xa1b23c4d;
  const link = buf.readUInt32LE(20);
  const ipAt = link === 1 ? 14 : link === 113 ? 16 : link === 276 ? 20 : link === 101 ? 0 : -1;
  if (ipAt < 0) throw new Error(`${file}: link type ${link} is not read`);
  const out = [];
  for (let off = 24; off + 16 <= buf.length;) {
    const t = buf.readUInt32LE(off) * 1000 + buf.readUInt32LE(off + 4) / (nano ? 1e6 : 1e3);
    const captured = buf.readUInt32LE(off + 8);
    const length = buf.readUInt32LE(off + 12);
    const d = buf.subarray(off + 16, off + 16 + captured);
    off += 16 + captured;
    const version = d[ipAt]! >> 4;
    let udp: number;
    if (version === 4 && d[ipAt + 9] === 17) udp = ipAt + (d[ipAt]! & 15) * 4;
    else if (version === 6 && d[ipAt + 6] === 17) udp = ipAt + 40;
    else continue;
    if (udp + 10 > d.length) continue;
    const pt = d[udp + 9]! & 0x7f;
    out.push({ t, flow: `${d.readUInt16BE(udp)}>${d.readUInt16BE(udp + 2)}`, length, rtcp: pt >= 72 && pt <= 95 });
  }
  return out;
}

function burstsOf(times: number[]): Burst[] {
  const bursts: Burst[] = [];
  let cur: Burst | undefined;
  for (const t of times) {
    if (!cur || t - cur.last > 8) bursts.push(cur = { first: t, last: t, packets: 0 });
    cur.last = t;
    cur.packets++;
  }
  return bursts;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.floor(q * (s.length - 1))]! * 1000) / 1000 : NaN;
};

const [file, ...pairs] = process.argv.slice(2);
if (!file || pairs.length % 2 !== 0) {
  console.error('usage: bench:wire-hops <capture.pcap> [fromFlow toFlow]...');
  process.exit(2);
}
const byFlow = new Map<string, number[]>();
for (const p of readPcap(file)) {
  if (p.rtcp || p.length < 60) continue;
  let times = byFlow.get(p.flow);
  if (!times) byFlow.set(p.flow, times = []);
  times.push(p.t);
}
const bursts = new Map([...byFlow].filter(([, ts]) => ts.length >= 100).map(([flow, ts]) => [flow, burstsOf(ts)]));
if (pairs.length === 0) {
  for (const [flow, bs] of bursts) {
    const packets = bs.reduce((n, b) => n + b.packets, 0);
    console.log(`${flow}: ${packets} packets in ${bs.length} frames, ${new Date(bs[0]!.first).toISOString()} to ${new Date(bs.at(-1)!.last).toISOString()}`);
  }
}
for (let i = 0; i < pairs.length; i += 2) {
  const [a, b] = [bursts.get(pairs[i]!), bursts.get(pairs[i + 1]!)];
  if (!a || !b) throw new Error(`no flow ${!a ? pairs[i] : pairs[i + 1]} with 100 packets or more in ${file}`);
  const firsts: number[] = [];
  const lasts: number[] = [];
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j]!.first < x.first) j++;
    const y = b[j];
    if (!y || y.first - x.first > 20) continue;
    firsts.push(y.first - x.first);
    lasts.push(y.last - x.last);
  }
  console.log(JSON.stringify({
    bench: 'wire-hop', from: pairs[i], to: pairs[i + 1], frames: firsts.length,
    firstPacketMs: { p50: quantile(firsts, 0.5), p90: quantile(firsts, 0.9) },
    lastPacketMs: { p50: quantile(lasts, 0.5), p90: quantile(lasts, 0.9), p99: quantile(lasts, 0.99) },
  }));
}
