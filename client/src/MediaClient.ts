// The browser's side of the SFU: one mediasoup-client Device and one receive transport,
// recreated when the server says it is gone (worker restart) or after a reconnect.
import { Device, type types } from 'mediasoup-client';
import type { CameraClock } from '../../server/media/Ingest.js';
import { pageCertificate, usesCertificate, type PageCertificate } from './dtls-certificate.js';
import { forgetNativeCapabilities, rememberingHandlerFactory } from './native-capabilities.js';
import { markPhase } from './page-timing.js';
import type { TransportInfo } from '../../server/signaling/protocol.js';
import { request, RequestError, type ClientSocket } from './signaling.js';

export interface Subscription {
  consumer: types.Consumer;
  track: MediaStreamTrack;
  stream: 'main' | 'sub';
  /** The camera's clock mapping (RTP time -> capture wall-clock), kept current by the tile. */
  clock?: CameraClock;
  /** A fast-start consumer to show until `consumer` renders (cameras that ignore keyframe requests). */
  fast?: { consumer: types.Consumer; track: MediaStreamTrack };
}

export interface MediaClientOptions {
  /**
   * The router's capabilities from elsewhere than the socket (GET /api/media/capabilities), so
   * the device loads while the socket still connects; the socket's answer is the fallback.
   */
  routerCapabilities?: () => Promise<unknown>;
}

export class MediaClient {
  readonly socket: ClientSocket;
  readonly #options: MediaClientOptions;
  #device?: Promise<Device>;
  #transport?: Promise<types.Transport>;
  /** Whether transports are connected as they are made (dtls-certificate.ts); off once the browser ignored the page's certificate. */
  #preconnect = true;
  /**
   * The receive transport that comes with the current (or next) connection: asked for with its
   * sign-in and pushed by the server as `transport` as the connection opens, a round trip
   * before a createTransport could ask for it. The first transport each connection needs is
   * this one; later ones (after ICE failed for good, a worker restart) are asked for.
   */
  #withConnection = expectTransport();
  /** The page certificate the connection's transport was asked for with (if any). */
  #offeredCert: PageCertificate | undefined;

  constructor(socket: ClientSocket, options: MediaClientOptions = {}) {
    this.socket = socket;
    this.#options = options;
    void pageCertificate(); // made now, long before the first transport is asked for
    socket.on('transportClosed', ({ transportId }) => this.#dropTransport(transportId));
    // Every sign-in (each connection's handshake) asks for the receive transport as well.
    const signIn = socket.auth;
    socket.auth = (cb: (data: object) => void) => {
      const withTransport = (auth: object) => void this.#transportRequest().then((transport) => cb({ ...auth, transport }), () => cb(auth));
      if (typeof signIn === 'function') signIn(withTransport);
      else withTransport(signIn ?? {});
    };
    socket.on('transport', (res) => {
      if (res.ok) this.#withConnection.resolve(res.data);
      else this.#withConnection.reject(new RequestError(res.error.code, res.error.message));
    });
    // The next connection brings its own (this one's, if not taken, closes with its session).
    socket.on('disconnect', () => {
      this.#withConnection.reject(new RequestError('DISCONNECTED', 'the connection closed'));
      this.#withConnection = expectTransport();
    });
    // After a reconnect the server has a fresh session: nothing of the old one exists. The
    // first connection keeps what was asked for before it (requests wait in the socket's
    // buffer and reach this session).
    let connectedBefore = false;
    socket.on('connect', () => {
      if (connectedBefore) this.#dropTransport();
      connectedBefore = true;
      // A node that does not push one (an older node in a cluster being upgraded): the tiles
      // retry, and ask for it.
      const expected = this.#withConnection;
      setTimeout(() => expected.reject(new RequestError('TIMEOUT', 'no transport came with the connection')), 10_000);
    });
  }

  #routerCapabilities(): Promise<unknown> {
    const fromSocket = () => request(this.socket, 'getRouterRtpCapabilities', {});
    return this.#options.routerCapabilities ? this.#options.routerCapabilities().catch(fromSocket) : fromSocket();
  }

  /**
   * Loads the device now (on a first visit it builds peer connections to learn the browser's
   * codecs, which takes a while; see native-capabilities.ts): a page calls it as it starts,
   * before its socket is connected.
   */
  loadDevice(): void {
    void this.#loadDevice().catch(() => undefined);
  }

  /** The device, loaded once (a failure is tried again by the next caller). */
  #loadDevice(): Promise<Device> {
    this.#device ??= (async () => {
      const handlerFactory = rememberingHandlerFactory();
      const device = new Device(handlerFactory ? { handlerFactory } : {});
      const caps = await this.#routerCapabilities();
      await device.load({ routerRtpCapabilities: caps as types.RtpCapabilities });
      markPhase('device');
      return device;
    })().catch((err: unknown) => {
      this.#device = undefined;
      throw err;
    });
    return this.#device;
  }

  /**
   * Loads the router's capabilities and creates the receive transport now, while the page
   * fetches its camera list and wall, so the first subscribe finds both ready. A failure
   * (e.g. an account that watches nothing gets no transport) is met again, and reported, by
   * the subscribe that needs them.
   */
  prepare(): void {
    void this.#recvTransport().catch(() => undefined);
  }

  #dropTransport(id?: string): void {
    const current = this.#transport;
    if (!current) return;
    void current.then((t) => {
      if (id === undefined || t.id === id) {
        if (this.#transport === current) this.#transport = undefined;
        if (!t.closed) t.close();
      }
    }, () => {
      if (this.#transport === current) this.#transport = undefined;
    });
    if (id === undefined) this.#transport = undefined;
  }

  /**
   * Gives up a transport the server still holds (its ICE failed for good, or its handshake
   * cannot succeed): the server closes it too, ending its consumers' views, which would
   * otherwise last, and count against the session's transports, until the page went away.
   */
  #abandonTransport(transportId: string): void {
    this.#dropTransport(transportId);
    if (this.socket.connected) void request(this.socket, 'closeTransport', { transportId }).catch(() => undefined);
  }

  /** What a transport is asked for with: the page's own certificate lets the server connect it as it makes it. */
  async #transportRequest(): Promise<{ dtlsParameters?: { role: 'client'; fingerprints: PageCertificate['fingerprints'] } }> {
    const cert = this.#preconnect ? await pageCertificate() : undefined;
    this.#offeredCert = cert;
    return cert ? { dtlsParameters: { role: 'client', fingerprints: cert.fingerprints } } : {};
  }

  async #recvTransport(): Promise<types.Transport> {
    this.#transport ??= (async () => {
      const withConnection = this.#withConnection;
      let created: Promise<TransportInfo>;
      /** The certificate the transport was asked for with (read once it is in: a sign-in asks as its connection opens). */
      let askedWith: () => PageCertificate | undefined;
      if (!withConnection.taken) {
        withConnection.taken = true;
        created = withConnection.promise;
        askedWith = () => this.#offeredCert;
      } else {
        // The server's transport does not need the device: both are asked for at once.
        const asked = await this.#transportRequest();
        const offered = this.#offeredCert;
        askedWith = () => offered;
        created = request(this.socket, 'createTransport', asked);
      }
      const device = await this.#loadDevice().catch(async (err: unknown) => {
        const orphan = await created.catch(() => undefined);
        if (orphan) void request(this.socket, 'closeTransport', { transportId: orphan.id }).catch(() => undefined);
        throw err;
      });
      const info = await created;
      const cert = askedWith();
      // With TURN servers (info.iceServers), ICE tries direct UDP, direct TCP, then TURN over
      // UDP, TCP and TLS: candidates of those kinds rank in that order.
      const preconnected = info.connected === true && cert !== undefined;
      const transport = device.createRecvTransport({
        ...(info as unknown as types.TransportOptions),
        ...(preconnected ? { additionalSettings: { certificates: [cert.certificate] } } : {}),
      });
      markPhase('transport');
      transport.on('connect', ({ dtlsParameters }, callback, errback) => {
        if (preconnected) {
          if (dtlsParameters.role === 'client' && usesCertificate(dtlsParameters.fingerprints, cert)) return callback();
          // This browser put a certificate of its own in: later transports connect the usual way.
          this.#preconnect = false;
          errback(new Error('the browser did not use the page certificate'));
          this.#abandonTransport(transport.id);
          return;
        }
        request(this.socket, 'connectTransport', { transportId: transport.id, dtlsParameters: dtlsParameters as never })
          .then(() => callback(), errback);
      });
      let restartedAt = 0;
      transport.on('connectionstatechange', (state) => {
        if (state === 'connected') markPhase('media');
        if (state === 'closed') this.#dropTransport(transport.id);
        if (state !== 'failed') return;
        // A failed path (a network change, a NAT binding or relay lost) is first restarted on the
        // same transport, keeping its consumers; a restart that fails again within a minute, or
        // cannot be asked, gives the transport up (the tiles subscribe again on a new one).
        if (Date.now() - restartedAt < 60_000) {
          this.#abandonTransport(transport.id);
          return;
        }
        restartedAt = Date.now();
        void this.#restartIce(transport).catch(() => this.#abandonTransport(transport.id));
      });
      // The server's silent channel gives the browser something to negotiate now, so ICE and
      // DTLS are under way before the first consume (MediaService.createViewerTransport).
      // Without it (a browser without data channels) the first consume connects the transport.
      if (info.warmup) void transport.consumeData(info.warmup as types.DataConsumerOptions).catch(() => undefined);
      return transport;
    })();
    const pending = this.#transport;
    try {
      return await pending;
    } catch (err) {
      if (this.#transport === pending) this.#transport = undefined;
      throw err;
    }
  }

  async #restartIce(transport: types.Transport): Promise<void> {
    const { iceParameters, iceServers } = await request(this.socket, 'restartIce', { transportId: transport.id });
    if (iceServers) await transport.updateIceServers({ iceServers: iceServers as RTCIceServer[] });
    await transport.restartIce({ iceParameters: iceParameters as types.IceParameters });
  }

  /** Subscribes to a camera; the consumer is resumed on the server once the track exists. */
  async subscribe(cameraId: string, stream: 'main' | 'sub'): Promise<Subscription> {
    const device = await this.#loadDevice();
    const transport = await this.#recvTransport();
    const res = await request(this.socket, 'consume', {
      transportId: transport.id,
      cameraId,
      stream,
      rtpCapabilities: device.recvRtpCapabilities as never,
      resume: true,
    }).catch((err: unknown) => {
      // Perhaps the remembered codecs are out of date: the next page asks the browser again.
      if (err instanceof RequestError && err.code === 'CANNOT_CONSUME') forgetNativeCapabilities();
      throw err;
    });
    markPhase('consumed');
    const consumer = await whileOpen(transport, transport.consume({
      id: res.consumerId,
      producerId: res.producerId,
      kind: res.kind,
      rtpParameters: res.rtpParameters as types.RtpParameters,
    }));
    if (!res.resumed) await request(this.socket, 'resumeConsumer', { consumerId: consumer.id });
    const sub: Subscription = { consumer, track: consumer.track, stream: res.stream, ...(res.clock ? { clock: res.clock } : {}) };
    if (res.fastStart) {
      const fast = await whileOpen(transport, transport.consume({
        id: res.fastStart.consumerId,
        producerId: res.fastStart.producerId,
        kind: 'video',
        rtpParameters: res.fastStart.rtpParameters as types.RtpParameters,
      }));
      sub.fast = { consumer: fast, track: fast.track };
      await request(this.socket, 'resumeConsumer', { consumerId: fast.id }).catch(() => undefined);
    }
    return sub;
  }

  /** Ends a subscription's fast start (its main consumer has taken over). */
  async endFastStart(sub: Subscription): Promise<void> {
    const fast = sub.fast;
    if (!fast) return;
    delete sub.fast;
    if (!fast.consumer.closed) fast.consumer.close();
    if (this.socket.connected) await request(this.socket, 'closeConsumer', { consumerId: fast.consumer.id }).catch(() => undefined);
  }

  async unsubscribe(sub: Subscription): Promise<void> {
    await this.endFastStart(sub);
    if (!sub.consumer.closed) sub.consumer.close();
    if (this.socket.connected) await request(this.socket, 'closeConsumer', { consumerId: sub.consumer.id }).catch(() => undefined);
  }
}

/**
 * `work` on `transport`, or an error as soon as the transport closes: mediasoup-client leaves a
 * consume that waits behind other work on the same transport (another consume's negotiation, an
 * ICE restart) pending for ever when that transport is closed meanwhile (its queued task is
 * stopped, not rejected), and the tile would spin with it instead of retrying on a new one.
 */
function whileOpen<T>(transport: types.Transport, work: Promise<T>): Promise<T> {
  if (transport.closed) return Promise.reject(new Error('the transport closed'));
  return new Promise<T>((resolve, reject) => {
    const closed = () => reject(new Error('the transport closed'));
    transport.observer.once('close', closed);
    work.then(resolve, reject).finally(() => transport.observer.off('close', closed));
  });
}

/** A connection's transport, settled by the server's `transport` push (or the connection's end). */
function expectTransport(): { promise: Promise<TransportInfo>; resolve: (info: TransportInfo) => void; reject: (err: Error) => void; taken: boolean } {
  let resolve!: (info: TransportInfo) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<TransportInfo>((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => undefined); // not taken: nobody waits for it
  return { promise, resolve, reject, taken: false };
}
