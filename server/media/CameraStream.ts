// One camera stream (a camera's main or sub URL) inside the SFU: demand counting,
// on-demand start and grace-period stop, the ingest with reconnect backoff, the
// PlainTransport + Producer it feeds, stall detection, and recovery from a worker death.
//
// The ingest path is chosen per run (ingest-plan.ts): the in-process RTSP relay for H.264
// passthrough (the fast path), the camera's RTP straight into the worker where the camera is
// configured so (the direct path), ffmpeg when the camera needs transcoding, uses rtsps://, or
// is configured so. The passthrough paths read the camera's SDP first, so a camera that turns
// out not to be H.264 is switched to ffmpeg at once.
//
// Each ingest run gets its own Producer. A new run starts a new RTP timeline (ffmpeg picks
// a random timestamp base; a camera's new RTSP session may too), and a browser whose jitter
// buffer sees the timestamps jump backwards drops every later frame; a fresh Producer makes
// open consumers close with "camera stream restarted", and clients subscribe again, which
// waits for the next Producer. The PlainTransport (and its ports) outlives the runs, except a
// direct run's: it listens where that camera sends and is connected to the camera's ports of
// that RTSP session, so it ends with the run.
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import type { PlainTransport, Producer, Router, RtpParameters } from 'mediasoup/node/lib/types.js';
import type { IngestConfig } from '../config.js';
import { moduleLogger, type Logger } from '../logger.js';
import { FfmpegIngest } from './FfmpegIngest.js';
import { afterCodec, codecOfEncoding, planIngest, type IngestPath, type IngestPlan, type RtspTransport, type TranscodeMode } from './ingest-plan.js';
import type { CameraClock, Ingest, IngestExit, IngestInput, IngestKind, IngestProgress, IngestRtp } from './Ingest.js';
import { OnvifKeyframes, type OnvifKeyframeStats } from './onvif/OnvifKeyframes.js';
import { RtspRelayIngest } from './RtspRelayIngest.js';
import { DirectIngest } from './DirectIngest.js';
import { refuseBasicOnly } from './rtsp/RtspConnection.js';
import { chooseAnnouncedProfile, type ProfileChoice } from './h264-profile.js';
import { allocateUdpPort } from './udp-port.js';
import type { WorkerPool, WorkerSlot } from './WorkerPool.js';
import { RateWindow } from '../util/RateWindow.js';

/**
 * The stream's phases:
 *
 * | phase      | what                                               | health     |
 * |------------|----------------------------------------------------|------------|
 * | idle       | nobody watches and it is not always on              | idle       |
 * | starting   | the first run, or one after a camera failure        | connecting |
 * | restarting | a run replacing one that ended for another cause    | restarting |
 * | running    | frames flow                                         | live       |
 * | stalled    | no frame for stallMs                                | stalled    |
 * | retrying   | waiting out the backoff after a camera failure      | offline    |
 * | closed     | the camera was removed or the server stops          | offline    |
 *
 * What follows the end of a run is decided by its cause alone (AFTER_RUN below).
 */
export type IngestPhase = 'idle' | 'starting' | 'restarting' | 'running' | 'stalled' | 'retrying' | 'closed';

/**
 * Why a run ended. Only a camera failure backs off and counts as the camera being down; the
 * others (settings changed, a person's restart, a switch to transcoding, a dead media worker)
 * start the next run at once, as 'restarting', which the uptime report does not count.
 */
export type StopCause = 'requested' | 'reconfigured' | 'camera-failure' | 'worker-lost' | 'codec-switch';

/** The phase table's exits: what follows a run that ended for each cause. */
const AFTER_RUN: Record<StopCause, 'retry' | 'restart'> = {
  'camera-failure': 'retry',
  requested: 'restart',
  reconfigured: 'restart',
  'worker-lost': 'restart',
  'codec-switch': 'restart',
};

export interface IngestStatus {
  phase: IngestPhase;
  /** Why the stream is not running (credentials removed). */
  reason?: string;
  /** When the phase last changed (ms since epoch). */
  since: number;
  lastFrameAt?: number;
  fps: number;
  bitrateKbps: number;
  /** Ingest process starts after the first one. */
  restarts: number;
  /** Input codec as seen in the camera's stream, e.g. "h264", "hevc". */
  inputCodec?: string;
  transcoding: boolean;
  /** Which path pulls the camera in the current (or last) run. */
  ingest?: IngestKind;
  profile?: ProfileChoice;
  viewers: number;
}

/** Monotonic counters of a stream over all its ingest runs. */
export interface StreamTotals {
  frames: number;
  bytes: number;
  /** RTP sequence gaps seen by the relay (ffmpeg does not report loss). */
  packetsLost: number;
}

export interface CameraStreamOptions {
  /** Unique id of this stream, e.g. "<cameraId>:main". */
  id: string;
  /** Which of its camera's streams this is. */
  kind: 'main' | 'sub';
  url: string;
  transcode: TranscodeMode;
  /** auto: the relay for H.264 passthrough, ffmpeg otherwise; ffmpeg: always ffmpeg. */
  ingestPath: IngestPath;
  rtspTransport: RtspTransport;
  /** Answer a Basic challenge over plain rtsp:// (else a camera offering only Basic fails). */
  rtspBasicAuth: boolean;
  /**
   * The camera's ONVIF device service, when it has one: each run starts with an ONVIF
   * SetSynchronizationPoint, and on passthrough runs the SFU's keyframe requests go out as
   * one too (a transcoder makes its own keyframes for viewers).
   */
  onvifUrl?: string | null;
  alwaysOn: boolean;
  ingest: IngestConfig;
  ffmpegPath: string;
}

export interface CameraStreamEvents {
  status: [IngestStatus];
  /** A new Producer replaced the previous one (or the first one appeared). */
  producer: [Producer];
  /** The camera's clock mapping for the current run was (re)learned. */
  clock: [CameraClock];
}

const PAYLOAD_TYPE = 96;
/** How a run that could not bind its source port ends: the relay's bind error, or ffmpeg's. */
const SOURCE_PORT_TAKEN = /EADDRINUSE|Address already in use/;

export class CameraStream extends EventEmitter<CameraStreamEvents> {
  readonly id: string;
  readonly kind: 'main' | 'sub';
  /** Ingested here (ViewableStream): a restart brings a new producer by itself. */
  readonly piped = false;
  readonly #pool: WorkerPool;
  readonly #log: Logger;
  #options: CameraStreamOptions;
  #demand = 0;
  #status: IngestStatus;
  #slot?: WorkerSlot;
  #transport?: PlainTransport;
  /** The transport is a direct run's (connected to the camera; not reused by another run). */
  #transportDirect = false;
  #producer?: Producer;
  #ingest?: Ingest;
  #clock?: CameraClock;
  #onvif?: OnvifKeyframes;
  /** Closers of the open fast-start producers (they end with their run). */
  readonly #fastStarts = new Set<() => void>();
  #ports?: { rtp: number; rtcp: number };
  readonly #ssrc = randomInt(1, 2 ** 31);
  /** Failed runs in a row (the retry backoff). */
  #attempt = 0;
  /** The codec a run found the camera sending, when it called for another plan. */
  #learnedCodec?: string;
  /** The current (or last) run's plan. */
  #plan?: IngestPlan;
  #retryTimer?: NodeJS.Timeout;
  #graceTimer?: NodeJS.Timeout;
  #watchdog?: NodeJS.Timeout;
  #startedAt = 0;
  #framesSeen = 0;
  readonly #frames = new RateWindow(3000);
  readonly #bytes = new RateWindow(3000);
  /** Lifetime totals over every run; `#runBase` holds them as they were when the run began. */
  #totals: StreamTotals = { frames: 0, bytes: 0, packetsLost: 0 };
  #runBase: StreamTotals = { frames: 0, bytes: 0, packetsLost: 0 };
  #closed = false;
  /** Set while #stop() runs, so the requested exit is not taken for a failure. */
  #stopping = false;
  /** Why the current run is being ended by the stream itself (absent: the ingest ended on its own). */
  #runEnd?: { cause: StopCause; reason: string };

  constructor(pool: WorkerPool, options: CameraStreamOptions) {
    super();
    this.id = options.id;
    this.kind = options.kind;
    this.#pool = pool;
    this.#options = options;
    this.#log = moduleLogger('media:stream', { stream: options.id });
    this.#status = { phase: 'idle', since: Date.now(), fps: 0, bitrateKbps: 0, restarts: 0, transcoding: false, viewers: 0 };
    if (options.alwaysOn) this.#start();
  }

  get status(): IngestStatus {
    return this.#status;
  }

  /** Frames, bytes and lost RTP packets since the stream was opened (all runs; for metrics). */
  get totals(): Readonly<StreamTotals> {
    return this.#totals;
  }

  get producer(): Producer | undefined {
    return this.#producer;
  }

  /** The worker slot whose router holds the producer. */
  get slot(): WorkerSlot | undefined {
    return this.#slot;
  }

  /** The camera's clock mapping for the current run, once its first sender report came. */
  get clock(): CameraClock | undefined {
    return this.#clock;
  }

  /**
   * For a new viewer of a camera known to ignore keyframe requests: a producer of the
   * viewer's own that starts with the cached GOP, so the first picture needs no new IDR
   * (docs/media.md). Undefined when the camera is known to answer keyframe requests, nothing is
   * cached, or the ingest cannot do it (ffmpeg).
   */
  async openFastStart(): Promise<{ producer: Producer; start(): void; close(): void } | undefined> {
    const ingest = this.#ingest;
    const transport = this.#transport;
    // A fast-start producer is the run's producer under another SSRC.
    const params = this.#producer?.rtpParameters;
    if (!ingest?.openFastStart || ingest.honoursKeyframeRequests === true || !transport || !params) return undefined;
    const ssrc = randomInt(1, 2 ** 31);
    // With NACK, which the shared producer goes without: the worker reports what of the
    // replay's burst its socket dropped, and the feed sends it again (FastStart.ts).
    const codecs = params.codecs.map((c) => ({ ...c, rtcpFeedback: [...(c.rtcpFeedback ?? []).filter((f) => !(f.type === 'nack' && !f.parameter)), { type: 'nack' }] }));
    const producer = await transport.produce({ kind: 'video', rtpParameters: { ...params, codecs, encodings: [{ ssrc }] }, appData: { streamId: this.id, fastStart: true } });
    // A feed that ends on its own (never started in time) takes its producer with it, so
    // the viewer's fast-start consumer closes and the tile goes on with the shared stream.
    const feed = this.#ingest === ingest ? ingest.openFastStart(ssrc, () => {
      this.#log.info('a fast start was never started (or held back too much); closed');
      close();
    }) : undefined;
    if (!feed) {
      producer.close();
      return undefined;
    }
    const close = () => {
      this.#fastStarts.delete(close);
      feed.close();
      if (!producer.closed) producer.close();
    };
    this.#fastStarts.add(close);
    producer.observer.once('close', close);
    return { producer, start: () => feed.start(), close };
  }

  /** Pid of the running ingest process (fault-injection tests, ops). */
  get ingestPid(): number | undefined {
    return this.#ingest?.pid;
  }

  /** Registers interest in this stream; ingest runs while anyone holds it. Returns the release. */
  acquire(): () => void {
    if (this.#closed) throw new Error(`stream ${this.id} is closed`);
    this.#demand++;
    this.#update({ viewers: this.#demand });
    clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    if (this.#status.phase === 'idle') this.#start();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#demand--;
      this.#update({ viewers: this.#demand });
      this.#maybeScheduleStop();
    };
  }

  /** Changes alwaysOn/transcode/url/ingest path; restarts ingest if the source changed. */
  reconfigure(options: Partial<Pick<CameraStreamOptions, 'url' | 'alwaysOn' | 'transcode' | 'ingestPath' | 'rtspTransport' | 'rtspBasicAuth' | 'onvifUrl'>>): void {
    const changed = (k: keyof typeof options) => options[k] !== undefined && options[k] !== this.#options[k];
    const sourceChanged = changed('url') || changed('transcode') || changed('ingestPath') || changed('rtspTransport') || changed('rtspBasicAuth');
    if (changed('url') || changed('onvifUrl')) {
      this.#onvif?.close();
      this.#onvif = undefined;
    }
    this.#options = { ...this.#options, ...options };
    this.#learnedCodec = undefined;
    if (this.#options.alwaysOn && this.#status.phase === 'idle') this.#start();
    else if (sourceChanged) this.#renew('reconfigured', 'camera settings changed');
    this.#maybeScheduleStop();
  }

  /** Resolves with the producer once it exists; rejects at the first ingest failure or the timeout. */
  waitForProducer(timeoutMs: number): Promise<Producer> {
    // While the ingest stops (the last viewer's grace ran out) its producer is about to close:
    // a viewer arriving now waits for the next run's (#stop starts it again for them), or its
    // consumer would close at once with "camera stream restarted".
    if (this.#producer && !this.#producer.closed && !this.#stopping) return Promise.resolve(this.#producer);
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.off('producer', onProducer);
        this.off('status', onStatus);
        fn();
      };
      const onProducer = (p: Producer) => done(() => resolve(p));
      const onStatus = (s: IngestStatus) => {
        if (s.phase === 'retrying' || s.phase === 'closed') done(() => reject(new Error(s.reason ?? s.phase)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(this.#status.reason ?? 'camera did not start in time'))), timeoutMs);
      this.on('producer', onProducer);
      this.on('status', onStatus);
    });
  }

  #maybeScheduleStop(): void {
    if (this.#demand > 0 || this.#options.alwaysOn || this.#closed || this.#status.phase === 'idle') return;
    clearTimeout(this.#graceTimer);
    this.#graceTimer = setTimeout(() => {
      this.#graceTimer = undefined;
      if (this.#demand === 0 && !this.#options.alwaysOn) void this.#stop('no viewers');
    }, this.#options.ingest.graceMs);
    this.#graceTimer.unref();
  }

  #update(patch: Partial<IngestStatus>): void {
    const phaseChanged = patch.phase !== undefined && patch.phase !== this.#status.phase;
    this.#status = { ...this.#status, ...patch, ...(phaseChanged ? { since: Date.now() } : {}) };
    if (phaseChanged && patch.reason === undefined) delete this.#status.reason;
    this.emit('status', this.#status);
  }

  #start(): void {
    if (this.#closed || this.#ingest || this.#retryTimer) return;
    this.#update({ phase: 'starting' });
    this.#watchdog ??= setInterval(() => this.#checkFlow(), 500);
    void this.#spawnIngest().catch((err: Error) => {
      this.#log.error({ err: err.message }, 'cannot start ingest');
      this.#scheduleRetry(`cannot start ingest: ${err.message}`);
    });
  }

  /** The stream's transport for relay and ffmpeg runs: on 127.0.0.1, fed from the stream's own source ports. */
  async #ensureTransport(): Promise<PlainTransport> {
    if (this.#transport && !this.#transport.closed && !this.#transportDirect) return this.#transport;
    this.#dropTransport();
    const slot = this.#pool.leastLoaded();
    // Connected to the ingest's own source ports rather than comedia: with comedia the first
    // local process to send would own the stream's tuple, and the ingest's media be ignored.
    const transport = await slot.router.createPlainTransport({
      listenIp: { ip: '127.0.0.1' },
      rtcpMux: false,
      comedia: false,
    });
    this.#adoptTransport(slot, transport, false);
    this.#ports ??= { rtp: await allocateUdpPort(), rtcp: await allocateUdpPort() };
    await transport.connect({ ip: '127.0.0.1', port: this.#ports.rtp, rtcpPort: this.#ports.rtcp });
    return transport;
  }

  /**
   * A direct run's transport: listening on `ip`, where the camera sends; DirectIngest connects
   * it to the camera's media ports once SETUP named them (comedia is off here too).
   */
  async #openDirectTransport(ip: string, current: () => boolean): Promise<{ transport: PlainTransport; router: Router }> {
    this.#dropTransport();
    const slot = this.#pool.leastLoaded();
    const transport = await slot.router.createPlainTransport({ listenIp: { ip }, rtcpMux: false, comedia: false });
    // The run may have ended meanwhile: its transport must not outlive it as the stream's.
    if (this.#closed || !current()) {
      transport.close();
      throw new Error('the run ended');
    }
    this.#adoptTransport(slot, transport, true);
    return { transport, router: slot.router };
  }

  #adoptTransport(slot: WorkerSlot, transport: PlainTransport, direct: boolean): void {
    this.#slot = slot;
    this.#transport = transport;
    this.#transportDirect = direct;
    // The router closes under us when its worker dies: rebuild on a live worker.
    transport.observer.once('close', () => {
      if (this.#transport !== transport) return;
      this.#transport = undefined;
      this.#producer = undefined;
      if (slot.router.closed && !this.#closed) {
        this.#log.warn({ worker: slot.index }, 'worker gone; moving stream to a live worker');
        this.#endRun('worker-lost', 'media worker died; moving to a live worker');
      }
    });
  }

  /** Closes the stream's transport on purpose (not a worker's death). */
  #dropTransport(): void {
    const transport = this.#transport;
    this.#transport = undefined;
    this.#transportDirect = false;
    transport?.close();
  }

  async #spawnIngest(): Promise<void> {
    const plan = planIngest(this.#options, this.#learnedCodec);
    const ingest = plan.path === 'direct' ? this.#startDirect(plan) : await this.#startThroughSourcePorts(plan);
    if (!ingest) return;
    this.#ingest = ingest;
    this.#plan = plan;
    this.#clock = undefined;
    this.#startedAt = Date.now();
    this.#framesSeen = 0;
    this.#runBase = { ...this.#totals };
    this.#update({ transcoding: plan.transcode, ingest: ingest.kind });
    ingest.on('input', (input) => this.#onInput(plan, input));
    ingest.on('rtp', (desc) => {
      if (this.#ingest !== ingest) return;
      void this.#onRtp(ingest, desc).catch((err: Error) => {
        this.#log.error({ err: err.message }, 'cannot create producer');
        void ingest.stop();
      });
    });
    ingest.on('progress', (p) => this.#onProgress(p));
    ingest.on('clock', (c) => {
      if (this.#ingest !== ingest) return;
      this.#clock = c;
      this.emit('clock', c);
    });
    ingest.once('exit', (e) => this.#onExit(ingest, e));
  }

  #startDirect(plan: IngestPlan): Ingest {
    const ingest: Ingest = DirectIngest.start({
      url: this.#options.url, passH265: plan.passH265, allowBasic: this.#options.rtspBasicAuth,
      openTransport: (ip) => this.#openDirectTransport(ip, () => this.#ingest === ingest),
    });
    return ingest;
  }

  /** A relay or ffmpeg run, sending to the stream's 127.0.0.1 transport from its source ports. */
  async #startThroughSourcePorts(plan: IngestPlan): Promise<Ingest | undefined> {
    const transport = await this.#ensureTransport();
    if (this.#closed) return undefined;
    const target = {
      rtpPort: transport.tuple.localPort,
      rtcpPort: transport.rtcpTuple!.localPort,
      localRtpPort: this.#ports!.rtp,
      localRtcpPort: this.#ports!.rtcp,
      ssrc: this.#ssrc,
      payloadType: PAYLOAD_TYPE,
    };
    if (plan.path === 'relay') {
      return RtspRelayIngest.start({ ...target, url: this.#options.url, transport: this.#options.rtspTransport, passH265: plan.passH265, allowBasic: this.#options.rtspBasicAuth });
    }
    // ffmpeg would answer a Basic challenge unasked: the camera is checked for it first.
    if (!this.#options.rtspBasicAuth) {
      await refuseBasicOnly(this.#options.url, this.#options.ingest.startTimeoutMs);
      if (this.#closed) return undefined;
    }
    return FfmpegIngest.start({ ...target, ffmpegPath: this.#options.ffmpegPath, url: this.#options.url, transport: this.#options.rtspTransport, transcode: plan.transcode });
  }

  #onInput(plan: IngestPlan, input: IngestInput): void {
    this.#update({ inputCodec: input.codec });
    // The camera is about to play: a keyframe now starts the run without waiting for the
    // camera's next IDR (ffmpeg sends nothing before one, nor does a decoder start without).
    this.#onvifKeyframes()?.request();
    const verdict = afterCodec(this.#options, plan, input.codec);
    if (verdict.action === 'fail') {
      // #onRtp ends the run once the stream is described.
      this.#log.warn({ codec: input.codec }, 'camera codec needs transcoding, which is disabled for it');
    } else if (verdict.action === 'switch') {
      this.#log.info({ codec: input.codec }, 'camera is not H.264: switching to low-latency transcoding');
      this.#learnedCodec = input.codec;
      this.#endRun('codec-switch', `camera sends ${input.codec}: switching to transcoding`);
    }
  }

  async #onRtp(ingest: Ingest, desc: IngestRtp): Promise<void> {
    // A transcoding run's output is H.264 whatever the camera sends.
    const verdict = afterCodec(this.#options, this.#plan!, codecOfEncoding(desc.encoding));
    if (verdict.action === 'fail') return this.#endRun('camera-failure', verdict.reason);
    if (verdict.action === 'switch') return; // #onInput switches to transcoding
    // A passthrough description comes once the run's transport exists (a direct run opens its own).
    const transport = this.#transport;
    if (!transport) return;
    const h265 = desc.encoding === 'H265';
    // Generic NACK only where the ingest answers it: the worker would otherwise ask ffmpeg,
    // which cannot, and count the silence against the camera.
    const feedback = [{ type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }, ...(desc.answersNacks ? [{ type: 'nack' }] : [])];
    let profile: ProfileChoice | undefined;
    let codec: RtpParameters['codecs'][number];
    if (h265) {
      // Passed through as the camera sends it; browsers that cannot decode H.265 are refused
      // at consume with a clear error (MediaService.consume), the others play it.
      codec = { mimeType: 'video/H265', payloadType: desc.payloadType, clockRate: 90000, parameters: {}, rtcpFeedback: feedback };
    } else {
      profile = chooseAnnouncedProfile(desc.fmtp['profile-level-id']);
      this.#update({ profile });
      codec = {
        mimeType: 'video/H264',
        payloadType: desc.payloadType,
        clockRate: 90000,
        parameters: { 'packetization-mode': Number(desc.fmtp['packetization-mode'] ?? 0), 'profile-level-id': profile.announced, 'level-asymmetry-allowed': 1 },
        rtcpFeedback: feedback,
      };
    }
    const rtpParameters: RtpParameters = {
      codecs: [codec],
      encodings: [{ ssrc: desc.ssrc ?? this.#ssrc }],
      headerExtensions: desc.headerExtensions ?? [],
    };
    this.#producer?.close();
    const producer = await transport.produce({ kind: 'video', rtpParameters, appData: { streamId: this.id } });
    const onvif = this.#status.transcoding ? undefined : this.#onvifKeyframes();
    if (onvif) {
      // The producer's own keyframe requests (PLI/FIR towards the camera) are the trigger.
      await producer.enableTraceEvent(['pli', 'fir']).catch(() => undefined);
      producer.on('trace', (t) => {
        if (t.direction === 'out') onvif.request();
      });
    }
    if (transport.closed || this.#transport !== transport) {
      producer.close();
      return;
    }
    this.#producer = producer;
    if (this.#ingest === ingest) ingest.attachProducer?.(producer);
    if (profile?.remapped) {
      this.#log.info({ real: profile.real, announced: profile.announced }, `camera sends ${profile.realName}; announced as a browser-negotiable profile`);
    }
    this.emit('producer', producer);
  }

  #onvifKeyframes(): OnvifKeyframes | undefined {
    if (!this.#options.onvifUrl) return undefined;
    this.#onvif ??= new OnvifKeyframes({ deviceUrl: this.#options.onvifUrl, streamUrl: this.#options.url, log: this.#log });
    return this.#onvif;
  }

  /** ONVIF keyframe requests so far (undefined for a camera without ONVIF, or before the first run). */
  get onvifKeyframes(): Readonly<OnvifKeyframeStats> | undefined {
    return this.#onvif?.stats;
  }

  #onProgress(p: IngestProgress): void {
    const now = Date.now();
    const base = this.#runBase;
    this.#totals = { frames: base.frames + p.frames, bytes: base.bytes + p.bytes, packetsLost: base.packetsLost + (p.packetsLost ?? 0) };
    this.#frames.add(now, p.frames);
    this.#bytes.add(now, p.bytes);
    if (p.frames > this.#framesSeen) {
      this.#framesSeen = p.frames;
      this.#update({
        lastFrameAt: now,
        fps: Math.round(this.#frames.ratePerSecond() * 10) / 10,
        bitrateKbps: Math.round((this.#bytes.ratePerSecond() * 8) / 1000),
        ...(this.#status.phase !== 'running' ? { phase: 'running' as const } : {}),
      });
      this.#attempt = 0;
    }
  }

  /** Stall detection: no frame for stallMs -> stalled; for restartStalledMs -> restart ffmpeg. */
  #checkFlow(): void {
    if (!this.#ingest) return;
    const now = Date.now();
    const last = Math.max(this.#status.lastFrameAt ?? 0, this.#startedAt);
    const idleFor = now - last;
    const { stallMs, restartStalledMs } = this.#options.ingest;
    if (this.#status.phase === 'running' && idleFor > stallMs) {
      this.#update({ phase: 'stalled', reason: `no frames for ${Math.round(idleFor / 1000)} s`, fps: 0, bitrateKbps: 0 });
    }
    if (idleFor > restartStalledMs) {
      this.#log.warn({ idleFor }, 'no frames; restarting ingest');
      this.#startedAt = now; // one restart per window
      this.#endRun('camera-failure', `no frames for ${Math.round(idleFor / 1000)} s`);
    }
  }

  #onExit(ingest: Ingest, e: IngestExit): void {
    if (this.#ingest !== ingest) return;
    this.#ingest = undefined;
    // This run's RTP timeline is over (see the header comment).
    for (const close of [...this.#fastStarts]) close();
    this.#producer?.close();
    this.#producer = undefined;
    const workerLost = this.#slot?.router.closed === true;
    // A direct run's transport is tied to that run's camera session.
    if (ingest.kind === 'direct') this.#dropTransport();
    const end = this.#runEnd ?? { cause: workerLost ? 'worker-lost' as const : 'camera-failure' as const, reason: e.reason };
    this.#runEnd = undefined;
    if (this.#closed || this.#stopping) return;
    const { cause, reason } = end;
    this.#log.info({ reason, cause, code: e.code, signal: e.signal }, 'ingest ended');
    // The ingest's own last words (credentials already removed), for whoever debugs a camera.
    this.#log.debug({ ingest: ingest.kind, log: ingest.recentLog.slice(-8) }, 'ingest log tail');
    if (SOURCE_PORT_TAKEN.test(reason) || ingest.recentLog.some((l) => SOURCE_PORT_TAKEN.test(l))) this.#renewSourcePorts();
    if (AFTER_RUN[cause] === 'restart') {
      this.#attempt = 0;
      this.#respawn(reason, 'restarting');
      return;
    }
    this.#scheduleRetry(reason);
  }

  /**
   * The stream's source ports are held by no one between runs, so another process (a browser's
   * WebRTC socket, a media worker's) can take one; every later run would then fail to bind it.
   * The next run gets new ports and a transport connected to them.
   */
  #renewSourcePorts(): void {
    this.#ports = undefined;
    this.#log.warn('a source port of the stream was taken by another process; the next run uses new ones');
    this.#dropTransport();
  }

  /** Ends the current run for `cause`; #onExit then does what the phase table says. */
  #endRun(cause: StopCause, reason: string): void {
    if (!this.#ingest) return;
    this.#runEnd ??= { cause, reason };
    void this.#ingest.stop();
  }

  /**
   * A person's restart: a running stream gets a new run at once (not an outage); one waiting
   * out a failure's backoff tries again now.
   */
  restart(): void {
    this.#renew('requested', 'restarted on request');
  }

  /**
   * A new run now, for `cause`: the current run is ended (the phase table starts the next), or
   * a stream waiting out a failure's backoff tries again at once, with the backoff reset (new
   * settings, or a person asking, deserve a fresh try).
   */
  #renew(cause: 'requested' | 'reconfigured', reason: string): void {
    if (this.#closed) return;
    if (this.#ingest) return this.#endRun(cause, reason);
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#attempt = 0;
      this.#respawn(reason);
    }
  }

  /** Starts the ingest again now: 'starting' after a camera failure, 'restarting' otherwise. */
  #respawn(reason: string, phase: 'starting' | 'restarting' = 'starting'): void {
    this.#update({ phase, reason, restarts: this.#status.restarts + 1 });
    void this.#spawnIngest().catch((err: Error) => this.#scheduleRetry(`cannot start ingest: ${err.message}`));
  }

  /** Waits the capped exponential backoff, then starts the ingest again. */
  #scheduleRetry(reason: string): void {
    if (this.#closed) return;
    const { backoffInitialMs, backoffMaxMs } = this.#options.ingest;
    const delay = Math.min(backoffMaxMs, backoffInitialMs * 2 ** this.#attempt);
    this.#attempt++;
    this.#update({ phase: 'retrying', reason, fps: 0, bitrateKbps: 0 });
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#closed || this.#ingest) return;
      this.#respawn(reason);
    }, delay);
  }

  async #stop(reason: string): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
    await this.#ingest?.stop();
    this.#ingest = undefined;
    this.#producer?.close();
    this.#producer = undefined;
    this.#dropTransport();
    this.#stopping = false;
    this.#attempt = 0;
    if (!this.#closed) this.#update({ phase: 'idle', reason, fps: 0, bitrateKbps: 0 });
    this.#log.info({ reason }, 'ingest stopped');
    // A viewer may have arrived while ffmpeg was shutting down: it is waiting for a producer.
    if (!this.#closed && (this.#demand > 0 || this.#options.alwaysOn)) this.#start();
  }

  /** Stops everything for good. Idempotent; resolves when ffmpeg has exited. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#graceTimer);
    await this.#stop('closed');
    this.#onvif?.close();
    this.#update({ phase: 'closed', reason: 'closed' });
    this.removeAllListeners();
  }
}
