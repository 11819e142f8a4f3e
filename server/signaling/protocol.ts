// The signaling protocol, declared once: every client request (its payload schema and its
// response type) and every server push event. The server derives its handler types from
// this file; the client imports its types (type-only, so no schema code is bundled).
import { z } from 'zod';
import type { CameraHealth } from '../cameras/camera-health.js';
import type { CameraSummary, StreamKind } from '../cameras/CameraRegistry.js';
import type { ErrorBody } from '../errors.js';
import type { CameraClock } from '../media/Ingest.js';
import type { IceServer } from './ice-servers.js';

const id = z.string().min(1).max(64);

// mediasoup validates capabilities and DTLS parameters in depth; these schemas bound shape
// and size so junk is refused before it reaches the SFU.
const rtcpFeedback = z.object({ type: z.string().max(32), parameter: z.string().max(32).optional() });
const codecCapability = z.object({
  kind: z.enum(['audio', 'video']),
  mimeType: z.string().max(64),
  preferredPayloadType: z.number().int().min(0).max(127).optional(),
  clockRate: z.number().int().positive(),
  channels: z.number().int().positive().max(8).optional(),
  parameters: z.record(z.string().max(64), z.union([z.string().max(256), z.number()])).optional(),
  rtcpFeedback: z.array(rtcpFeedback).max(16).optional(),
});
const headerExtension = z.object({
  kind: z.enum(['audio', 'video']),
  uri: z.string().max(256),
  preferredId: z.number().int().min(1).max(255),
  preferredEncrypt: z.boolean().optional(),
  direction: z.enum(['sendrecv', 'sendonly', 'recvonly', 'inactive']).optional(),
});
export const rtpCapabilitiesSchema = z.object({
  codecs: z.array(codecCapability).max(64).optional(),
  headerExtensions: z.array(headerExtension).max(32).optional(),
});
export const dtlsParametersSchema = z.object({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z.array(z.object({ algorithm: z.string().max(16), value: z.string().max(256) })).min(1).max(8),
});

export const streamKindSchema = z.enum(['main', 'sub']);

export type SessionEndReason = 'account-inactive' | 'signed-out' | 'expired';

/** Payload schemas of every request the client may send. */
export const requestSchemas = {
  getRouterRtpCapabilities: z.object({}).strict(),
  listCameras: z.object({}).strict(),
  /**
   * With the page's own DTLS certificate fingerprints (client/src/dtls-certificate.ts) the
   * transport is connected as it is made: the browser's handshake needs no connectTransport.
   */
  createTransport: z.object({ dtlsParameters: dtlsParametersSchema.extend({ role: z.literal('client') }).optional() }).strict(),
  connectTransport: z.object({ transportId: id, dtlsParameters: dtlsParametersSchema }).strict(),
  consume: z.object({
    transportId: id,
    cameraId: id,
    stream: streamKindSchema.default('main'),
    rtpCapabilities: rtpCapabilitiesSchema,
    /** Resume the consumer as it is made (the page plays it at once); ignored with a fast start, which waits for resumeConsumer. */
    resume: z.boolean().optional(),
  }).strict(),
  resumeConsumer: z.object({ consumerId: id }).strict(),
  closeConsumer: z.object({ consumerId: id }).strict(),
  closeTransport: z.object({ transportId: id }).strict(),
  /** The transport's ICE failed (a network change, a NAT binding lost): new ICE parameters, same transport. */
  restartIce: z.object({ transportId: id }).strict(),
  /** The page renewed its sign-in: the connection lives on until the new token expires. */
  renewSession: z.object({ token: z.string().min(1).max(4096) }).strict(),
} as const;

export type RequestName = keyof typeof requestSchemas;

export interface TransportInfo {
  id: string;
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
  /** True when the request's DTLS parameters were applied: connectTransport is not needed (nor allowed). */
  connected?: boolean;
  /** TURN servers with credentials of this viewer's own (absent: no TURN configured). */
  iceServers?: IceServer[];
  sctpParameters?: unknown;
  /**
   * A data channel from the server that carries nothing: the page subscribes to it as it builds
   * the transport, which connects ICE and DTLS before the first consume.
   */
  warmup?: { id: string; dataProducerId: string; sctpStreamParameters: unknown; label: string; protocol: string };
}

export interface ConsumeResult {
  consumerId: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: unknown;
  cameraId: string;
  /** The stream actually served (a camera without a sub stream serves main). */
  stream: StreamKind;
  /** The camera's clock mapping, when known (updates come as `cameraClock`). */
  clock?: CameraClock;
  /**
   * For a camera that ignores keyframe requests: a second consumer that starts at once
   * with the cached GOP. Show it until the main consumer renders, then close it; the server
   * ends it (consumerClosed, "fast start ended") shortly after the switch point anyway.
   */
  fastStart?: { consumerId: string; producerId: string; rtpParameters: unknown };
  /** The consumer was resumed as it was made (the request asked, and there is no fast start): no resumeConsumer is needed. */
  resumed?: boolean;
}

/** What each request answers with on success. */
export interface ResponseMap {
  getRouterRtpCapabilities: unknown;
  listCameras: CameraSummary[];
  createTransport: TransportInfo;
  connectTransport: Record<string, never>;
  consume: ConsumeResult;
  resumeConsumer: Record<string, never>;
  closeConsumer: Record<string, never>;
  closeTransport: Record<string, never>;
  restartIce: { iceParameters: unknown; iceServers?: IceServer[] };
  renewSession: { validUntil: number };
}

export type RequestData<K extends RequestName> = z.input<(typeof requestSchemas)[K]>;
export type ParsedRequest<K extends RequestName> = z.output<(typeof requestSchemas)[K]>;

/** Every request is acknowledged with one of these. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

/** Events the server pushes. */
export interface ServerEvents {
  cameraHealth: (e: { cameraId: string; stream: StreamKind; health: CameraHealth }) => void;
  camerasChanged: () => void;
  cameraClock: (e: { cameraId: string; stream: StreamKind; clock: CameraClock }) => void;
  consumerClosed: (e: { consumerId: string; cameraId: string; reason: string }) => void;
  transportClosed: (e: { transportId: string; reason: string }) => void;
  /** The connection is closed right after: the account, the sign-in or the token ended. */
  sessionEnded: (e: { reason: SessionEndReason }) => void;
  /**
   * The public origins of the cluster's nodes (this one included) the page may reconnect
   * through when this node stops answering: sent on connecting and when nodes come or go.
   */
  nodes: (e: { urls: string[] }) => void;
  /**
   * The receive transport the page asked for with its sign-in (the handshake's `auth.transport`,
   * a createTransport payload): made as the connection opens, a round trip before a
   * createTransport request could have asked for it. Sent once per connection that asked.
   */
  transport: (res: Ack<TransportInfo>) => void;
}

/** socket.io typing for the client side: one generic request channel per request name. */
export type ClientEvents = {
  [K in RequestName]: (data: RequestData<K>, ack: (res: Ack<ResponseMap[K]>) => void) => void;
};
