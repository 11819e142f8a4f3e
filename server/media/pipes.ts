// Media between nodes: the owner of a camera exports its producer to an edge over a mediasoup
// PipeTransport, SRTP-encrypted (the hop crosses networks) with RTX/NACK on (a lost packet is
// resent rather than waiting for the next keyframe). Each side makes its transport first and
// gives the other its endpoint; the edge then produces what the owner's pipe consumer sends,
// under the same producer id. Keyframe requests travel back over the same pipe.
import { randomUUID } from 'node:crypto';
import type { PipeTransport, Router, RtpParameters, SrtpParameters } from 'mediasoup/node/lib/types.js';
import { AppError, ErrorCode } from '../errors.js';
import type { CameraStream } from './CameraStream.js';
import type { CameraClock } from './Ingest.js';

/** One side of a pipe: where it listens and the key it encrypts with. */
export interface PipeEndpoint {
  ip: string;
  port: number;
  srtpParameters: SrtpParameters;
}

/** What the owner answers an edge asking for a stream. */
export interface PipeOffer {
  endpoint: PipeEndpoint;
  producer: { id: string; rtpParameters: RtpParameters; paused: boolean };
  clock?: CameraClock;
}

/** A fast start fed into a pipe: the edge produces it under the same id, for one of its viewers. */
export interface PipedFastStart {
  readonly id: string;
  readonly producer: { id: string; rtpParameters: RtpParameters; paused: boolean };
  /** Begins the replay of the cached GOP (the edge's viewer resumed its consumer). */
  start(): void;
  close(): void;
}

/** The owner's half of a pipe; ends when the edge hangs up, the stream's producer closes, or its worker dies. */
export interface ExportedPipe {
  readonly offer: PipeOffer;
  readonly closed: boolean;
  /**
   * A fast start for one new viewer on the edge, where the stream gives one (a camera that
   * ignores keyframe requests), sent over this pipe; ends at the latest with the pipe.
   */
  openFastStart(): Promise<PipedFastStart | undefined>;
  /** One of the fast starts still open, by id. */
  fastStart(id: string): PipedFastStart | undefined;
  close(): void;
}

export interface PipeAddress {
  /** The address the transport listens on (0.0.0.0: every interface). */
  listenIp: string;
  /** The address the other node reaches it at. */
  announcedIp: string;
}

/** Fast starts open at once over one pipe: a wall of new viewers at most, not a flood. */
export const MAX_FAST_STARTS_PER_PIPE = 64;

export async function openPipeTransport(router: Router, address: PipeAddress): Promise<PipeTransport> {
  return router.createPipeTransport({
    listenIp: { ip: address.listenIp, announcedIp: address.announcedIp },
    enableSrtp: true,
    enableRtx: true,
  });
}

export function endpointOf(transport: PipeTransport, address: PipeAddress): PipeEndpoint {
  if (!transport.srtpParameters) throw new Error('pipe transport without SRTP');
  return { ip: address.announcedIp, port: transport.tuple.localPort, srtpParameters: transport.srtpParameters };
}

/**
 * Exports `stream` to the edge listening at `edge`: holds the stream's demand (a cold camera
 * starts) until the pipe closes. `ended` tells why it closed when it was not the edge's hang-up.
 */
export async function exportStream(stream: CameraStream, edge: PipeEndpoint, o: PipeAddress & { startTimeoutMs: number; ended(reason: string): void }): Promise<ExportedPipe> {
  const release = stream.acquire();
  let transport: PipeTransport | undefined;
  try {
    const producer = await stream.waitForProducer(o.startTimeoutMs).catch((err: Error) => {
      throw new AppError(ErrorCode.CameraUnavailable, `camera unavailable: ${err.message}`);
    });
    const router = stream.slot?.router;
    if (!router || router.closed) throw new AppError(ErrorCode.CameraUnavailable, 'camera unavailable: its worker is gone');
    transport = await openPipeTransport(router, o);
    await transport.connect(edge);
    const consumer = await transport.consume({ producerId: producer.id });
    let closed = false;
    const t = transport;
    const fastStarts = new Map<string, PipedFastStart>();
    let opening = 0;
    /** The stream's fast-start feed, consumed into the pipe; undefined when either fails. */
    const feedIntoPipe = async () => {
      const feed = await stream.openFastStart();
      if (!feed) return undefined;
      try {
        if (closed) throw new Error('pipe closed');
        return { feed, fed: await t.consume({ producerId: feed.producer.id }) };
      } catch {
        feed.close();
        return undefined;
      }
    };
    const close = (reason?: string) => {
      if (closed) return;
      closed = true;
      for (const f of [...fastStarts.values()]) f.close();
      if (!t.closed) t.close();
      release();
      if (reason) o.ended(reason);
    };
    consumer.on('producerclose', () => close('camera stream restarted'));
    t.observer.once('close', () => close('media worker died'));
    return {
      offer: {
        endpoint: endpointOf(t, o),
        producer: { id: producer.id, rtpParameters: consumer.rtpParameters, paused: consumer.producerPaused },
        ...(stream.clock ? { clock: stream.clock } : {}),
      },
      get closed() { return closed; },
      openFastStart: async () => {
        // Those still opening count too: parallel requests must not pass the cap.
        if (closed || fastStarts.size + opening >= MAX_FAST_STARTS_PER_PIPE) return undefined;
        opening++;
        const opened = await feedIntoPipe().finally(() => opening--);
        if (!opened) return undefined;
        const { feed, fed } = opened;
        if (closed) {
          feed.close();
          return undefined;
        }
        const id = randomUUID();
        const end = () => {
          fastStarts.delete(id);
          feed.close();
          if (!fed.closed) fed.close();
        };
        const piped: PipedFastStart = { id, producer: { id: feed.producer.id, rtpParameters: fed.rtpParameters, paused: fed.producerPaused }, start: () => feed.start(), close: end };
        fastStarts.set(id, piped);
        fed.on('producerclose', end);
        return piped;
      },
      fastStart: (id) => fastStarts.get(id),
      close: () => close(),
    };
  } catch (err) {
    if (transport && !transport.closed) transport.close();
    release();
    throw err;
  }
}
