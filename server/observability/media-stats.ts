// A read-only sample of the SFU: per-worker CPU, memory and object counts, and the viewers'
// delivery quality (consumer scores, loss, round-trip time, bitrate out). One sample serves
// both /metrics and the ops dashboard; it is cached briefly so a scrape and a dashboard poll
// arriving together ask the workers once.
import fs from 'node:fs';
import type { MediaService } from '../media/MediaService.js';
import type { WorkerSlot } from '../media/WorkerPool.js';

export interface WorkerSample {
  index: number;
  pid: number;
  /** User + system CPU time since the worker started, in seconds. */
  cpuSeconds: number;
  /** Share of one core over the time since the previous sample (0..1 per core). */
  cpuLoad: number;
  /** Resident memory, in bytes. */
  memoryBytes: number;
  routers: number;
  transports: number;
  producers: number;
  consumers: number;
}

export interface DeliverySample {
  consumers: number;
  /** mediasoup's consumer score (0..10, 10 = no loss): mean and minimum over live consumers. */
  scoreAvg: number;
  scoreMin: number;
  /** Packets the viewers reported lost, summed over live consumers. */
  packetsLost: number;
  /** Mean fraction lost (0..1) reported by viewers. */
  fractionLostAvg: number;
  /** Round-trip time to the viewers, in seconds. */
  rttAvg: number;
  rttMax: number;
  /** Bits per second sent to viewers (WebRTC transports). */
  bitrateOut: number;
}

export interface MediaSample {
  at: number;
  workers: WorkerSample[];
  delivery: DeliverySample;
}

const CACHE_MS = 1000;

/** Resident memory from /proc on Linux; the peak (ru_maxrss) elsewhere. */
function residentBytes(pid: number, maxRssKiB: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
    if (Number.isFinite(kib)) return kib * 1024;
  } catch {
    // not Linux, or the worker just exited
  }
  return maxRssKiB * 1024;
}

export class MediaStats {
  readonly #media: MediaService;
  #last?: Promise<MediaSample>;
  #lastAt = 0;
  /** Previous CPU reading per worker pid, for the load over the interval. */
  readonly #cpu = new Map<number, { at: number; seconds: number }>();

  constructor(media: MediaService) {
    this.#media = media;
  }

  /** A sample at most CACHE_MS old. */
  sample(): Promise<MediaSample> {
    const now = Date.now();
    if (!this.#last || now - this.#lastAt >= CACHE_MS) {
      this.#lastAt = now;
      this.#last = this.#take(now);
      this.#last.catch(() => (this.#lastAt = 0));
    }
    return this.#last;
  }

  async #take(now: number): Promise<MediaSample> {
    const slots = this.#media.pool.slots;
    const [workers, delivery] = await Promise.all([Promise.all(slots.map((s) => this.#worker(s, now))), this.#delivery(slots)]);
    const alive = new Set(workers.map((w) => w.pid));
    for (const pid of this.#cpu.keys()) if (!alive.has(pid)) this.#cpu.delete(pid);
    return { at: now, workers, delivery };
  }

  async #worker(slot: WorkerSlot, now: number): Promise<WorkerSample> {
    const pid = slot.worker.pid;
    const usage = await slot.worker.getResourceUsage();
    const cpuSeconds = (usage.ru_utime + usage.ru_stime) / 1000;
    const prev = this.#cpu.get(pid);
    this.#cpu.set(pid, { at: now, seconds: cpuSeconds });
    const cpuLoad = prev && now > prev.at ? Math.max(0, (cpuSeconds - prev.seconds) / ((now - prev.at) / 1000)) : 0;
    return {
      index: slot.index, pid, cpuSeconds, cpuLoad,
      memoryBytes: residentBytes(pid, usage.ru_maxrss),
      routers: slot.router.closed ? 0 : 1,
      transports: slot.transports, producers: slot.producers, consumers: slot.consumers,
    };
  }

  async #delivery(slots: WorkerSlot[]): Promise<DeliverySample> {
    let n = 0;
    let scoreSum = 0;
    let scoreMin = 10;
    let packetsLost = 0;
    let fractionSum = 0;
    let rttSum = 0;
    let rttN = 0;
    let rttMax = 0;
    let bitrateOut = 0;
    const consumers = slots.flatMap((s) => [...s.liveConsumers]);
    const transports = slots.flatMap((s) => [...s.liveTransports]).filter((t) => 'iceParameters' in t);
    const [consumerStats, transportStats] = await Promise.all([
      Promise.all(consumers.map((c) => c.getStats().catch(() => []))),
      Promise.all(transports.map((t) => t.getStats().catch(() => []))),
    ]);
    consumers.forEach((c, i) => {
      n++;
      scoreSum += c.score.score;
      scoreMin = Math.min(scoreMin, c.score.score);
      for (const s of consumerStats[i]!) {
        if (s.type !== 'outbound-rtp') continue;
        packetsLost += s.packetsLost;
        fractionSum += s.fractionLost / 256;
        if (s.roundTripTime !== undefined && s.roundTripTime > 0) {
          const rtt = s.roundTripTime / 1000;
          rttSum += rtt;
          rttN++;
          rttMax = Math.max(rttMax, rtt);
        }
      }
    });
    for (const stats of transportStats) for (const s of stats) bitrateOut += s.sendBitrate;
    return {
      consumers: n,
      scoreAvg: n ? scoreSum / n : 0,
      scoreMin: n ? scoreMin : 0,
      packetsLost,
      fractionLostAvg: n ? fractionSum / n : 0,
      rttAvg: rttN ? rttSum / rttN : 0,
      rttMax,
      bitrateOut,
    };
  }
}
