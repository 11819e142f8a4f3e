// The few ONVIF calls the SFU makes (Device and Media services, SOAP 1.2 over HTTP):
// the device's clock, where its media service is, its profiles and their RTSP URIs, and
// SetSynchronizationPoint, the ONVIF way of asking the encoder for a keyframe now.
//
// Requests are authenticated with WS-Security UsernameToken (PasswordDigest), as the ONVIF
// Core specification requires of devices; its timestamp is taken on the device's clock
// (GetSystemDateAndTime, which needs no authentication), since a device whose clock is off
// by minutes rejects tokens stamped with ours.
import { createHash, randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';

export interface OnvifCredentials {
  username: string;
  password: string;
}

export interface OnvifProfile {
  token: string;
  name: string;
}

/** A failed ONVIF call, with a reason a person can act on (never the credentials). */
export class OnvifError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'OnvifError';
  }
}

/** The largest answer read from a device (a profile list with many profiles is ~50 kB). */
const MAX_RESPONSE_BYTES = 512 * 1024;

const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, processEntities: true });

type Xml = Record<string, unknown>;

/** The child `name` of a parsed element (namespace prefixes removed), whatever its type. */
function child(node: unknown, name: string): unknown {
  return node && typeof node === 'object' ? (node as Xml)[name] : undefined;
}

function path(node: unknown, ...names: string[]): unknown {
  return names.reduce(child, node);
}

function text(node: unknown): string | undefined {
  if (typeof node === 'string') return node.trim();
  const t = child(node, '#text');
  return typeof t === 'string' ? t.trim() : undefined;
}

const list = (node: unknown): unknown[] => (node === undefined ? [] : Array.isArray(node) ? node : [node]);

/** PasswordDigest = Base64(SHA-1(nonce + created + password)) (WS-Security UsernameToken Profile 1.0). */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')])).digest('base64');
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function securityHeader(c: OnvifCredentials, now: Date): string {
  const nonce = randomBytes(16);
  const created = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return '<s:Header><wsse:Security s:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">'
    + `<wsse:UsernameToken><wsse:Username>${escapeXml(c.username)}</wsse:Username>`
    + `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${passwordDigest(nonce, created, c.password)}</wsse:Password>`
    + `<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString('base64')}</wsse:Nonce>`
    + `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security></s:Header>`;
}

const DEVICE_NS = 'http://www.onvif.org/ver10/device/wsdl';
const MEDIA_NS = 'http://www.onvif.org/ver10/media/wsdl';

export interface OnvifClient {
  /** Reads the device's clock; later tokens are stamped with it. Device time = ours + offset. */
  clockOffsetMs(): Promise<number>;
  mediaServiceUrl(): Promise<string>;
  profiles(mediaUrl: string): Promise<OnvifProfile[]>;
  streamUri(mediaUrl: string, profileToken: string): Promise<string>;
  setSynchronizationPoint(mediaUrl: string, profileToken: string): Promise<void>;
}

/**
 * A client for one device. `deviceUrl` is its device service (usually
 * http://<host>/onvif/device_service); credentials travel only in the WS-Security header.
 */
export function onvifClient(deviceUrl: string, credentials: OnvifCredentials | undefined, opts: { timeoutMs?: number } = {}): OnvifClient {
  const timeoutMs = opts.timeoutMs ?? 3000;
  let offsetMs = 0;

  async function call(url: string, ns: string, body: string, authenticated = true): Promise<Xml> {
    const header = authenticated && credentials ? securityHeader(credentials, new Date(Date.now() + offsetMs)) : '';
    const envelope = `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:m="${ns}" xmlns:tt="http://www.onvif.org/ver10/schema">${header}<s:Body>${body}</s:Body></s:Envelope>`;
    const action = /^<m:(\w+)/.exec(body)?.[1] ?? '';
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': `application/soap+xml; charset=utf-8; action="${ns}/${action}"` },
        body: envelope,
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const cause = (err as Error & { cause?: { code?: string } }).cause?.code;
      if ((err as Error).name === 'TimeoutError') throw new OnvifError(`ONVIF ${action}: the device did not answer within ${timeoutMs} ms`);
      throw new OnvifError(`ONVIF ${action}: cannot reach the device (${cause ?? (err as Error).message})`);
    }
    const raw = await readLimited(res, action);
    let doc: Xml;
    try {
      doc = parser.parse(raw) as Xml;
    } catch {
      throw new OnvifError(`ONVIF ${action}: the device's answer is not XML (HTTP ${res.status})`, res.status);
    }
    const bodyNode = path(doc, 'Envelope', 'Body');
    if (bodyNode === undefined) throw new OnvifError(`ONVIF ${action}: the device's answer is not a SOAP envelope (HTTP ${res.status})`, res.status);
    const fault = child(bodyNode, 'Fault');
    if (fault !== undefined || !res.ok) {
      const reason = text(path(fault, 'Reason', 'Text')) ?? text(child(fault, 'faultstring')) ?? `HTTP ${res.status}`;
      const code = faultSubcode(fault);
      if (res.status === 401 || /NotAuthorized/i.test(code ?? '')) throw new OnvifError(`ONVIF ${action}: the device refused the credentials (${reason})`, res.status);
      throw new OnvifError(`ONVIF ${action}: the device answered a fault: ${reason}${code ? ` [${code}]` : ''}`, res.status);
    }
    return bodyNode as Xml;
  }

  return {
    async clockOffsetMs() {
      const body = await call(deviceUrl, DEVICE_NS, '<m:GetSystemDateAndTime/>', false);
      const utc = path(body, 'GetSystemDateAndTimeResponse', 'SystemDateAndTime', 'UTCDateTime');
      const n = (...p: string[]) => Number(text(path(utc, ...p)));
      const device = Date.UTC(n('Date', 'Year'), n('Date', 'Month') - 1, n('Date', 'Day'), n('Time', 'Hour'), n('Time', 'Minute'), n('Time', 'Second'));
      // Devices without a UTC time (rare) are taken to share ours.
      offsetMs = Number.isFinite(device) ? device - Date.now() : 0;
      return offsetMs;
    },
    async mediaServiceUrl() {
      const body = await call(deviceUrl, DEVICE_NS, '<m:GetCapabilities><m:Category>Media</m:Category></m:GetCapabilities>');
      const xaddr = text(path(body, 'GetCapabilitiesResponse', 'Capabilities', 'Media', 'XAddr'));
      if (!xaddr) throw new OnvifError('ONVIF GetCapabilities: the device has no media service');
      return onDeviceHost(deviceUrl, xaddr);
    },
    async profiles(mediaUrl) {
      const body = await call(mediaUrl, MEDIA_NS, '<m:GetProfiles/>');
      return list(path(body, 'GetProfilesResponse', 'Profiles'))
        .map((p) => ({ token: String(child(p, '@token') ?? ''), name: text(child(p, 'Name')) ?? '' }))
        .filter((p) => p.token.length > 0);
    },
    async streamUri(mediaUrl, profileToken) {
      const body = await call(mediaUrl, MEDIA_NS, '<m:GetStreamUri><m:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></m:StreamSetup>'
        + `<m:ProfileToken>${escapeXml(profileToken)}</m:ProfileToken></m:GetStreamUri>`);
      const uri = text(path(body, 'GetStreamUriResponse', 'MediaUri', 'Uri'));
      if (!uri) throw new OnvifError(`ONVIF GetStreamUri: no URI for profile ${profileToken}`);
      return uri;
    },
    async setSynchronizationPoint(mediaUrl, profileToken) {
      await call(mediaUrl, MEDIA_NS, `<m:SetSynchronizationPoint><m:ProfileToken>${escapeXml(profileToken)}</m:ProfileToken></m:SetSynchronizationPoint>`);
    },
  };
}

async function readLimited(res: Response, action: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  for (;;) {
    const { done, value } = (await reader?.read()) ?? { done: true, value: undefined };
    if (done) break;
    size += value.length;
    if (size > MAX_RESPONSE_BYTES) {
      await reader!.cancel();
      throw new OnvifError(`ONVIF ${action}: the device's answer is larger than ${MAX_RESPONSE_BYTES} bytes`, res.status);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The innermost fault subcode, e.g. "ter:NotAuthorized" (SOAP 1.2), or the SOAP 1.1 faultcode. */
function faultSubcode(fault: unknown): string | undefined {
  let code = child(fault, 'Code');
  let found: string | undefined;
  while (code !== undefined) {
    found = text(child(code, 'Value')) ?? found;
    code = child(code, 'Subcode');
  }
  return found ?? text(child(fault, 'faultcode'));
}

/**
 * The media service at the device's own address: the path the device reports, on the host
 * and port we reach the device at. A device may report another address (its own LAN address
 * behind NAT, or any host at all); the credentials' digest must not go there.
 */
export function onDeviceHost(deviceUrl: string, reported: string): string {
  let path: string;
  try {
    const u = new URL(reported, deviceUrl);
    path = `${u.pathname}${u.search}`;
  } catch {
    throw new OnvifError(`ONVIF GetCapabilities: the device reported an invalid media service address (${reported.slice(0, 100)})`);
  }
  return new URL(path, new URL(deviceUrl).origin).toString();
}
