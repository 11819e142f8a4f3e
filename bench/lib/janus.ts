// Janus 1.1.2 (Debian's `janus` package) as the reference peer for bench/latency.ts: its
// streaming plugin with one RTSP mountpoint on the same camera, the HTTP transport only, and a
// tiny page that speaks Janus's REST API (no janus.js, so nothing but the protocol is
// measured). Bench-only: `npm test` never needs Janus.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../tests/support/net.js';

export const JANUS_BIN = '/usr/bin/janus';
export const MOUNTPOINT_ID = 99;

export function ensureJanus(): void {
  if (fs.existsSync(JANUS_BIN)) return;
  if (process.getuid?.() !== 0) throw new Error('Janus is not installed: apt-get install janus');
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'janus'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) throw new Error('apt-get install janus failed');
}


export interface RunningJanus {
  /** Base URL of the REST API, e.g. http://127.0.0.1:PORT/janus */
  readonly api: string;
  stop(): Promise<void>;
}

/** Starts Janus with one RTSP mountpoint (id MOUNTPOINT_ID) pulling `rtspUrl` over RTP/UDP. */
export async function startJanus(rtspUrl: string): Promise<RunningJanus> {
  ensureJanus();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-janus-'));
  const port = await freePort();
  const pluginsDir = '/usr/lib/x86_64-linux-gnu/janus/plugins';
  const transportsDir = '/usr/lib/x86_64-linux-gnu/janus/transports';
  const others = (d: string, keep: string) => fs.readdirSync(d).filter((f) => f.endsWith('.so') && f !== keep).join(',');
  fs.writeFileSync(path.join(dir, 'janus.jcfg'), `
general: { configs_folder = "${dir}", plugins_folder = "${pluginsDir}", transports_folder = "${transportsDir}", debug_level = ${Number(process.env.JANUS_DEBUG ?? 3)} }
plugins: { disable = "${others(pluginsDir, 'libjanus_streaming.so')}" }
transports: { disable = "${others(transportsDir, 'libjanus_http.so')}" }
events: { broadcast = false }
loggers: { disable = "libjanus_jsonlog.so" }
media: { rtp_port_range = "30000-39999" }
nat: { nice_debug = false, ice_enforce_list = "lo" }
`);
  fs.writeFileSync(path.join(dir, 'janus.transport.http.jcfg'), `
general: { json = "indented", base_path = "/janus", http = true, port = ${port}, ip = "127.0.0.1", https = false }
admin: { admin_http = false }
cors: { allow_origin = "*" }
`);
  fs.writeFileSync(path.join(dir, 'janus.plugin.streaming.jcfg'), `
general: { }
timecode: {
  type = "rtsp"
  id = ${MOUNTPOINT_ID}
  description = "time-coded camera"
  audio = false
  video = true
  url = "${rtspUrl}"
  rtsp_reconnect_delay = 1
  # Chromium refuses to negotiate High (64xxxx) although it decodes it; Janus offers the
  # camera's own fmtp, so it gets the same announcement giamsat makes (h264-profile.ts).
  videofmtp = "profile-level-id=42e01f;packetization-mode=1"
}
`);
  const proc: ChildProcess = spawn(JANUS_BIN, ['-C', path.join(dir, 'janus.jcfg'), '-F', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on("data", (d) => { log = (log + d).slice(-8000); if (process.env.JANUS_DEBUG) process.stderr.write(d); });
  proc.stderr!.on('data', (d) => { log = (log + d).slice(-8000); });
  const api = `http://127.0.0.1:${port}/janus`;
  const deadline = Date.now() + 15_000;
  // Plugins (and so the mountpoint's RTSP session) are set up before the transports start:
  // the HTTP transport answering means the mountpoint is pulling. Janus has no readiness
  // event to wait on from outside, so this polls.
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`janus exited (${proc.exitCode}):\n${log}`);
    if (await fetch(`${api}/info`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`janus did not become ready:\n${log}`); }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    api,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A page that watches the mountpoint through Janus's REST API. The video sits in a
 * `[data-camera-id="janus"]` element so the time-code probe treats it like a client tile;
 * `performance.mark('giamsat:subscribe')` is set when the watch request is sent, the same
 * starting point as the client's own subscribe.
 */
export function janusPage(api: string): string {
  return `<!doctype html><html><body style="margin:0;background:#000">
<div data-camera-id="janus"><video muted playsinline autoplay style="width:1280px"></video></div>
<script>
(async () => {
  const api = ${JSON.stringify(api)};
  const tx = () => Math.random().toString(36).slice(2);
  const post = async (url, body) => (await fetch(url, { method: 'POST', body: JSON.stringify({ transaction: tx(), ...body }) })).json();
  const session = (await post(api, { janus: 'create' })).data.id;
  const handle = (await post(api + '/' + session, { janus: 'attach', plugin: 'janus.plugin.streaming' })).data.id;
  const pc = new RTCPeerConnection();
  const video = document.querySelector('video');
  pc.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); };
  pc.onicecandidate = (e) => void post(api + '/' + session + '/' + handle, { janus: 'trickle', candidate: e.candidate ? e.candidate.toJSON() : { completed: true } });
  const events = async () => {
    for (;;) {
      const msgs = await (await fetch(api + '/' + session + '?maxev=10&rid=' + Date.now())).json();
      for (const m of [].concat(msgs)) {
        if (m.jsep && m.jsep.type === 'offer') {
          await pc.setRemoteDescription(m.jsep);
          await pc.setLocalDescription(await pc.createAnswer());
          // Trickle ICE, as janus.js does: the answer goes out at once.
          await post(api + '/' + session + '/' + handle, { janus: 'message', body: { request: 'start' }, jsep: { type: 'answer', sdp: pc.localDescription.sdp } });
        }
      }
    }
  };
  performance.mark('giamsat:subscribe');
  void events();
  await post(api + '/' + session + '/' + handle, { janus: 'message', body: { request: 'watch', id: ${MOUNTPOINT_ID} } });
})().catch((e) => { window.__janusError = String(e); });
</script></body></html>`;
}
