// The receive transport's DTLS certificate, made by the page instead of by its peer connection,
// so that its fingerprint is known before the peer connection exists. The page sends it with
// createTransport and the server connects the transport as it makes it: the browser starts
// its DTLS handshake as soon as ICE is up, without a connectTransport round trip in between
// (on a busy machine that round trip took 20–70 ms of the first picture; docs/performance.md).

export interface PageCertificate {
  certificate: RTCCertificate;
  fingerprints: Array<{ algorithm: string; value: string }>;
}

/** A certificate closer than this to its expiry is replaced (browsers refuse expired ones). */
const RENEW_BEFORE_MS = 24 * 3600_000;

let current: Promise<PageCertificate | undefined> | undefined;

/**
 * The page's certificate, made once (ECDSA P-256, as browsers make their own) and again when it
 * nears its expiry (30 days by default: a supervision wall stays open that long). Undefined where
 * the browser cannot make one: the transport is then connected the usual way.
 */
export function pageCertificate(): Promise<PageCertificate | undefined> {
  current = (current ?? generate()).then((c) => (c && c.certificate.expires - Date.now() < RENEW_BEFORE_MS ? generate() : c));
  return current;
}

async function generate(): Promise<PageCertificate | undefined> {
  if (typeof RTCPeerConnection === 'undefined' || typeof RTCPeerConnection.generateCertificate !== 'function') return undefined;
  try {
    const certificate = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams);
    // As in SDP (upper-case hex): the server compares the certificate's fingerprint as text, and
    // Chromium gives getFingerprints() in lower case.
    const fingerprints = certificate.getFingerprints().flatMap((f) => (f.algorithm && f.value ? [{ algorithm: f.algorithm.toLowerCase(), value: f.value.toUpperCase() }] : []));
    return fingerprints.length > 0 ? { certificate, fingerprints } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the DTLS fingerprints the browser put in its answer are the page certificate's. */
export function usesCertificate(fingerprints: ReadonlyArray<{ algorithm: string; value: string }>, cert: PageCertificate): boolean {
  const norm = (f: { algorithm: string; value: string }) => `${f.algorithm.toLowerCase()} ${f.value.toUpperCase()}`;
  const ours = new Set(cert.fingerprints.map(norm));
  return fingerprints.length > 0 && fingerprints.every((f) => ours.has(norm(f)));
}
