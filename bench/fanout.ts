// How many consumers one mediasoup worker serves for one 2 Mbit/s camera before packet loss
// passes 1 % or the worker's core saturates. Receivers are real: each is a PlainTransport
// consumer that mediasoup negotiates and sends RTP to, received on its own UDP socket here,
// with loss counted from RTP sequence numbers.
//   npm run bench:fanout [-- --steps 50,100,200,300,400,500,600,800 --seconds 5]
// Caveat: on a 2-core machine the receiving process competes with the worker for CPU; its
// own load is printed beside the worker's.
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';
import { cpuSeconds } from './lib/proc-stats.js';
import { startCamera } from '../tests/support/camera.js';
import { addCamera, startTestServer } from '../tests/support/server.js';

const { values: args } = parseArgs({ options: { steps: { type: 'string', default: '50,100,200,300,400,500,600,800' }, seconds: { type: 'string', default: '5' } } });
const SECONDS = Number(args.seconds);

interface Receiver { sock: dgram.Socket; received: number; first?: number; last?: number; cycles: number; close(): Promise<void> }

// Noise is incompressible, so the encoder really fills its 2 Mbit/s.
const cam = await startCamera({ profile: 'high', width: 1280, height: 720, fps: 25, gop: 50, kbps: 2000, pattern: 'snow' });
const server = await startTestServer({ media: { workers: 1 } });
const receivers: Receiver[] = [];
const results: Array<Record<string, unknown>> = [];
try {
  const { json } = await addCamera(server, { name: 'fanout', mainUrl: cam.url, alwaysOn: true });
  const stream = server.cameras.stream(json.id, 'main');
  const producer = await stream.waitForProducer(20_000);
  const router = stream.slot!.router;
  const worker = stream.slot!.worker.pid;

  async function addReceiver(): Promise<void> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    sock.setRecvBufferSize(1 << 20);
    const transport = await router.createPlainTransport({ listenIp: { ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
    await transport.connect({ ip: '127.0.0.1', port: sock.address().port });
    const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    const ssrc = consumer.rtpParameters.encodings![0]!.ssrc!;
    const r: Receiver = {
      sock, received: 0, cycles: 0,
      close: async () => { transport.close(); await new Promise<void>((res) => sock.close(() => res())); },
    };
    sock.on('message', (msg) => {
      // Only the media stream: not RTCP, not mediasoup's bandwidth probation packets.
      if (msg.length < 12 || msg.readUInt32BE(8) !== ssrc) return;
      const seq = msg.readUInt16BE(2);
      r.received++;
      if (r.first === undefined) r.first = seq;
      else if (r.last !== undefined && seq < r.last && r.last - seq > 30000) r.cycles++;
      r.last = seq;
    });
    receivers.push(r);
  }

  for (const target of args.steps.split(',').map(Number)) {
    while (receivers.length < target) await addReceiver();
    // Settle one second, then measure over a window.
    await new Promise((r) => setTimeout(r, 1000));
    for (const r of receivers) { r.received = 0; r.first = undefined; r.last = undefined; r.cycles = 0; }
    const w0 = cpuSeconds(worker), s0 = process.cpuUsage(), t0 = Date.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const wall = (Date.now() - t0) / 1000;
    const workerPct = ((cpuSeconds(worker) - w0) / wall) * 100;
    const u = process.cpuUsage(s0);
    const selfPct = ((u.user + u.system) / 1e6 / wall) * 100;
    let expected = 0, received = 0;
    for (const r of receivers) {
      if (r.first === undefined || r.last === undefined) continue;
      expected += r.cycles * 65536 + r.last - r.first + 1;
      received += r.received;
    }
    const lossPct = expected ? Math.max(0, (1 - received / expected) * 100) : 100;
    const row = { bench: 'fan-out', consumers: target, seconds: SECONDS, lossPct: Math.round(lossPct * 100) / 100, workerCpuPct: Math.round(workerPct), receiverProcessCpuPct: Math.round(selfPct), packetsPerSecondOut: Math.round(received / wall) };
    results.push(row);
    console.log(JSON.stringify(row));
    if (lossPct > 1 || workerPct > 95) break;
  }
} finally {
  for (const r of receivers) await r.close();
  await server.stop();
  await cam.stop();
}
const last = results.at(-1) as { consumers: number; lossPct: number; workerCpuPct: number } | undefined;
const ok = [...results].reverse().find((r) => (r.lossPct as number) <= 1 && (r.workerCpuPct as number) <= 95) as { consumers: number } | undefined;
console.log(`\nsummary\n  one worker served ${ok?.consumers ?? 0} consumers of a 2 Mbit/s camera within 1 % loss` + (last && last !== (ok as unknown) ? `; at ${last.consumers}: ${last.lossPct} % loss, worker ${last.workerCpuPct} % CPU` : ''));
