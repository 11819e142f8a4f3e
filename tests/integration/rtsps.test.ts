// rtsps:// through the RTSP relay against GStreamer's gst-rtsp-server over TLS: media
// interleaved inside the TLS connection (also when UDP is configured), a certificate
// checked against ingest.rtspsCaFile when one is set (and any accepted when not, as cameras'
// certificates are self-signed), and clear reasons for an untrusted certificate and for a
// camera that does not speak TLS at all.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MediaService } from '../../server/media/MediaService.js';
import { loadConfig } from '../../server/config.js';
import { after, before, describe, test } from 'node:test';
import { startCamera, type TestCamera } from '../support/camera.js';
import { openRtpSink } from '../support/rtp-sink.js';
import { addCamera, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

/** A self-signed certificate (its own CA) for `subjectAltName`, as PEM files. */
function selfSigned(dir: string, name: string, subjectAltName: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=${subjectAltName}`], { stdio: 'ignore' });
  return { cert, key };
}

describe('rtsps:// cameras through the relay', { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-tls-'));
  const camCert = selfSigned(dir, 'camera', 'IP:127.0.0.1');
  const otherCa = selfSigned(dir, 'other-ca', 'DNS:other.example');
  let cam: TestCamera;
  let plain: TestCamera;
  const servers: TestServer[] = [];

  before(async () => {
    [cam, plain] = await Promise.all([startCamera({ tlsCert: camCert.cert, tlsKey: camCert.key }), startCamera({})]);
    assert.match(cam.url, /^rtsps:\/\//);
  });
  after(async () => {
    for (const s of servers) await s.stop();
    await Promise.all([cam?.stop(), plain?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const serverWith = async (ingest: Record<string, unknown> = {}) => {
    const s = await startTestServer({ ingest });
    servers.push(s);
    return s;
  };

  test('a self-signed camera plays through the relay, over TCP and with UDP configured', async () => {
    const server = await serverWith();
    for (const rtspTransport of ['tcp', 'udp'] as const) {
      const { json } = await addCamera(server, { name: `tls-${rtspTransport}`, mainUrl: cam.url, rtspTransport });
      const sink = await openRtpSink(server, json.id);
      try {
        await sink.waitForIdr(10_000);
        await sink.waitForPackets(50, 5000);
        assert.equal(sink.idr.withParameterSets, sink.idr.total, 'SPS/PPS before every IDR');
        const health = await waitForHealth(server, json.id, (h) => h.state === 'live');
        assert.equal(health.ingest, 'relay');
      } finally {
        await sink.close();
        await server.cameras.remove(json.id);
      }
    }
  });

  test('with ingest.rtspsCaFile the certificate must chain to it', async () => {
    const trusting = await serverWith({ rtspsCaFile: camCert.cert });
    const ok = await addCamera(trusting, { name: 'tls-trusted', mainUrl: cam.url, alwaysOn: true });
    assert.equal((await waitForHealth(trusting, ok.json.id, (h) => h.state === 'live')).ingest, 'relay');

    const strict = await serverWith({ rtspsCaFile: otherCa.cert });
    const refused = await addCamera(strict, { name: 'tls-untrusted', mainUrl: cam.url, alwaysOn: true });
    const health = await waitForHealth(strict, refused.json.id, (h) => h.state === 'offline' || h.state === 'connecting' && !!h.reason);
    assert.match(health.reason, /camera's TLS certificate is not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\)/);
  });

  test('a camera that does not speak TLS, addressed as rtsps://, gets a clear reason', async () => {
    const server = servers[0]!;
    const { json } = await addCamera(server, { name: 'not-tls', mainUrl: plain.url.replace('rtsp://', 'rtsps://'), alwaysOn: true });
    const health = await waitForHealth(server, json.id, (h) => !!h.reason && h.state !== 'live');
    assert.match(health.reason, /TLS handshake with the camera failed \(ERR_SSL_\w+\)|camera closed the connection/);
  });

  test('an unreadable or empty CA file stops the media layer from starting, with the reason', async () => {
    const config = loadConfig({ dataDir: dir });
    await assert.rejects(MediaService.create(config.media, { ...config.ingest, rtspsCaFile: path.join(dir, 'missing.pem') }), /ingest\.rtspsCaFile: cannot read .*missing\.pem \(ENOENT\)/);
    fs.writeFileSync(path.join(dir, 'empty.pem'), 'not a certificate');
    await assert.rejects(MediaService.create(config.media, { ...config.ingest, rtspsCaFile: path.join(dir, 'empty.pem') }), /holds no PEM certificate/);
  });
});
