// A second consumer of a camera stream that leaves the SFU as plain RTP to a local UDP port
// (a recorder's or analyser's ffmpeg reads it with the SDP below). It holds demand on the
// stream, so ingest keeps running while it is open, and it never touches viewers' consumers.
// When the ingest restarts (a new producer), the tap moves to the new producer and says so.
// A tap of a stream piped from another node ends when the pipe does (the camera's owner
// restarted it, left or died): its plugin opens another, through whichever node owns it then.
import { EventEmitter } from 'node:events';
import type { Consumer, PlainTransport, Producer } from 'mediasoup/node/lib/types.js';
import type { ViewableStream } from './View.js';

export interface StreamTapEvents {
  /** The camera's ingest restarted: RTP continues from a new source (timestamps jump). */
  restarted: [];
  closed: [];
}

export interface StreamTapOptions {
  /** Where RTP goes (RTCP to rtpPort + 1), on 127.0.0.1. */
  rtpPort: number;
  /** How long to wait for the camera's first producer. */
  timeoutMs: number;
}

export class StreamTap extends EventEmitter<StreamTapEvents> {
  readonly #stream: ViewableStream;
  readonly #options: StreamTapOptions;
  readonly #release: () => void;
  #transport?: PlainTransport;
  #consumer?: Consumer;
  #sdp = '';
  #closed = false;
  readonly #onProducer = (p: Producer) => void this.#attach(p).then(() => this.emit('restarted'), () => undefined);

  private constructor(stream: ViewableStream, options: StreamTapOptions) {
    super();
    this.#stream = stream;
    this.#options = options;
    this.#release = stream.acquire();
  }

  /** Opens a tap once the stream has a producer (starting an idle camera). */
  static async open(stream: ViewableStream, options: StreamTapOptions): Promise<StreamTap> {
    const tap = new StreamTap(stream, options);
    try {
      await tap.#attach(await stream.waitForProducer(options.timeoutMs));
    } catch (err) {
      await tap.close();
      throw err;
    }
    stream.on('producer', tap.#onProducer);
    return tap;
  }

  get sdp(): string {
    return this.#sdp;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #attach(producer: Producer): Promise<void> {
    const router = this.#stream.slot?.router;
    if (!router || this.#closed) throw new Error('camera stream is not running');
    this.#transport?.close();
    const transport = await router.createPlainTransport({ listenIp: { ip: '127.0.0.1' }, rtcpMux: false, comedia: false });
    await transport.connect({ ip: '127.0.0.1', port: this.#options.rtpPort, rtcpPort: this.#options.rtpPort + 1 });
    const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    if (this.#closed) {
      transport.close();
      return;
    }
    this.#transport = transport;
    this.#consumer = consumer;
    if (this.#stream.piped) consumer.once('producerclose', () => void this.close());
    this.#sdp = tapSdp(consumer, this.#options.rtpPort);
  }

  async requestKeyFrame(): Promise<void> {
    await this.#consumer?.requestKeyFrame().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stream.off('producer', this.#onProducer);
    this.#transport?.close();
    this.#release();
    this.emit('closed');
    this.removeAllListeners();
  }
}

/** The SDP a receiver (ffmpeg) needs to read the tap's RTP on `port`. */
export function tapSdp(consumer: Pick<Consumer, 'rtpParameters'>, port: number): string {
  const codec = consumer.rtpParameters.codecs[0]!;
  const name = codec.mimeType.split('/')[1]!;
  const fmtp = Object.entries(codec.parameters ?? {}).map(([k, v]) => `${k}=${v}`).join(';');
  return [
    'v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=giamsat stream tap', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=video ${port} RTP/AVP ${codec.payloadType}`,
    `a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}`,
    ...(fmtp ? [`a=fmtp:${codec.payloadType} ${fmtp}`] : []),
    'a=recvonly', '',
  ].join('\r\n');
}
