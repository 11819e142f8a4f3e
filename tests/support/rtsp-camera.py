#!/usr/bin/python3
"""A real RTSP camera for tests: GStreamer's gst-rtsp-server serving a live test pattern.

Prints one line `READY rtsp://127.0.0.1:<port><path>` on stdout once it accepts clients, so
tests wait on that line instead of sleeping. Runs until SIGTERM/SIGINT.

Must run with /usr/bin/python3 (Debian's, which has the gi bindings).
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


TIMECODE_BITS = 32
TIMECODE_BLOCK = 32  # pixels; large enough to survive H.264 at any sane bitrate


def timecode_frame(width: int, height: int, ms: int, tick: int) -> bytes:
    """One I420 frame: the capture wall-clock (ms, low 32 bits) as a row of black/white
    blocks at the top left, a moving bar below (so the encoder has real work), grey around."""
    black, white, grey = b"\x10", b"\xeb", b"\x80"
    bits = b"".join((white if (ms >> (TIMECODE_BITS - 1 - i)) & 1 else black) * TIMECODE_BLOCK for i in range(TIMECODE_BITS))
    code_row = bits + grey * (width - len(bits))
    bar_x = (tick * 8) % max(1, width - 64)
    bar_row = grey * bar_x + white * 64 + grey * (width - bar_x - 64)
    grey_row = grey * width
    rest = height - TIMECODE_BLOCK
    y = code_row * TIMECODE_BLOCK + grey_row * (rest // 2) + bar_row * 32 + grey_row * (rest - rest // 2 - 32)
    chroma = grey * ((width // 2) * (height // 2))
    return y + chroma + chroma


def pipeline(args: argparse.Namespace) -> str:
    if args.pattern == "timecode":
        src = (
            "appsrc name=src is-live=true format=time do-timestamp=true "
            f"caps=video/x-raw,format=I420,width={args.width},height={args.height},framerate={args.fps}/1 "
        )
    else:
        src = (
            f"videotestsrc is-live=true pattern={args.pattern} "
            f"! video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1 "
        )
    if args.codec == "h264":
        # speed-preset=ultrafast silently yields Constrained Baseline even when High is
        # asked for; veryfast gives a real High-profile stream (what most IP cameras send).
        preset = "ultrafast" if args.profile == "baseline" else "veryfast"
        profile = "constrained-baseline" if args.profile == "baseline" else args.profile
        enc = (
            f"! x264enc name=enc tune=zerolatency speed-preset={preset} key-int-max={args.gop} "
            f"bitrate={args.kbps} "
            f"! video/x-h264,profile={profile} "
            "! rtph264pay name=pay0 pt=96 config-interval=" + ("-1" if args.inband else "0")
        )
    elif args.codec == "h265":
        enc = (
            f"! x265enc name=enc tune=zerolatency speed-preset=ultrafast key-int-max={args.gop} "
            f"bitrate={args.kbps} ! rtph265pay name=pay0 pt=96 config-interval=" + ("0" if args.sdp_only_parameter_sets else "-1")
        )
    elif args.codec == "mjpeg":
        enc = "! jpegenc quality=70 ! rtpjpegpay name=pay0 pt=26"
    else:
        raise SystemExit(f"unknown codec {args.codec}")
    return f"( {src}{enc} )"


def ignore_keyframe_requests(media: "GstRtspServer.RTSPMedia") -> None:
    """Like many cheap cameras: keyframe requests (RTCP PLI/FIR, which GStreamer turns into
    upstream force-key-unit events) never reach the encoder, so IDRs come only every GOP."""
    pay = media.get_element().get_by_name("pay0")

    def drop(_pad, info):
        event = info.get_event()
        s = event.get_structure() if event else None
        if s is not None and s.get_name() == "GstForceKeyUnit":
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    pay.get_static_pad("sink").add_probe(Gst.PadProbeType.EVENT_UPSTREAM, drop)


def force_keyframe(media: "GstRtspServer.RTSPMedia") -> bool:
    """An IDR now, asked of the encoder directly (past the probe that makes the camera deaf
    to RTCP keyframe requests): what an ONVIF camera does on SetSynchronizationPoint."""
    enc = media.get_element().get_by_name("enc")
    if enc is None:
        return False
    event = Gst.Event.new_custom(Gst.EventType.CUSTOM_UPSTREAM, Gst.Structure.new_from_string("GstForceKeyUnit, all-headers=(boolean)true"))
    return enc.get_static_pad("src").send_event(event)


ONVIF_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error">
<env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>{code}</env:Value></env:Subcode></env:Code>
<env:Reason><env:Text xml:lang="en">{reason}</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>"""

ONVIF_OK = """<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"
 xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><env:Body>{body}</env:Body></env:Envelope>"""


def start_onvif(args: argparse.Namespace, rtsp_url: "callable", medias: list) -> str:
    """A minimal ONVIF device (Device and Media services, SOAP 1.2) in front of this camera:
    GetSystemDateAndTime (unauthenticated, on a clock `--onvif-clock-offset` seconds off),
    GetCapabilities, GetProfiles (a sub profile listed first, streaming another path, so a
    client must match profiles by URI), GetStreamUri and SetSynchronizationPoint, which
    forces an IDR and prints `SYNC <token>`. Requests other than the clock must carry a
    WS-Security UsernameToken PasswordDigest of --user/--password stamped within 5 minutes
    of the device's clock, as ONVIF devices require."""
    import base64
    import datetime
    import hashlib
    import threading
    import xml.etree.ElementTree as ET
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    def device_now() -> datetime.datetime:
        return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=args.onvif_clock_offset)

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    def find(root, name):
        return next((e for e in root.iter() if local(e.tag) == name), None)

    def authorized(root) -> str | None:
        token = find(root, "UsernameToken")
        if token is None:
            return "no WS-Security UsernameToken"
        user, pwd, nonce, created = (find(token, n) for n in ("Username", "Password", "Nonce", "Created"))
        if None in (user, pwd, nonce, created):
            return "incomplete UsernameToken"
        if user.text != args.user:
            return "unknown user"
        try:
            when = datetime.datetime.fromisoformat(created.text.replace("Z", "+00:00"))
        except ValueError:
            return "bad Created"
        if abs((when - device_now()).total_seconds()) > 300:
            return "Created is not within 5 minutes of the device clock"
        expected = base64.b64encode(hashlib.sha1(base64.b64decode(nonce.text) + created.text.encode() + args.password.encode()).digest()).decode()
        return None if pwd.text == expected else "wrong password digest"

    profiles = [("sub_profile", "SubStream", args.path.rstrip("/") + "_sub"), ("main_profile", "MainStream", args.path)]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):  # quiet: tests read stdout
            pass

        def reply(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def fault(self, status: int, code: str, reason: str) -> None:
            self.reply(status, ONVIF_FAULT.format(code=code, reason=reason))

        def do_POST(self):  # noqa: N802
            try:
                root = ET.fromstring(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            except ET.ParseError:
                return self.fault(400, "ter:WellFormed", "not XML")
            body = find(root, "Body")
            call = next(iter(body), None) if body is not None else None
            if call is None:
                return self.fault(400, "ter:WellFormed", "no body")
            name = local(call.tag)
            if name != "GetSystemDateAndTime":
                why = authorized(root)
                if why:
                    return self.fault(400, "ter:NotAuthorized", f"Sender not authorized: {why}")
            host = f"http://127.0.0.1:{self.server.server_address[1]}"
            if name == "GetSystemDateAndTime":
                n = device_now()
                return self.reply(200, ONVIF_OK.format(body=(
                    "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType><tt:UTCDateTime>"
                    f"<tt:Time><tt:Hour>{n.hour}</tt:Hour><tt:Minute>{n.minute}</tt:Minute><tt:Second>{n.second}</tt:Second></tt:Time>"
                    f"<tt:Date><tt:Year>{n.year}</tt:Year><tt:Month>{n.month}</tt:Month><tt:Day>{n.day}</tt:Day></tt:Date>"
                    "</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>")))
            if name == "GetCapabilities":
                return self.reply(200, ONVIF_OK.format(body=(
                    "<tds:GetCapabilitiesResponse><tds:Capabilities>"
                    f"<tt:Media><tt:XAddr>{host}/onvif/media_service</tt:XAddr></tt:Media>"
                    "</tds:Capabilities></tds:GetCapabilitiesResponse>")))
            if name == "GetProfiles":
                items = "".join(f'<trt:Profiles token="{t}" fixed="true"><tt:Name>{n}</tt:Name></trt:Profiles>' for t, n, _ in profiles)
                return self.reply(200, ONVIF_OK.format(body=f"<trt:GetProfilesResponse>{items}</trt:GetProfilesResponse>"))
            token = find(call, "ProfileToken")
            profile = next((p for p in profiles if token is not None and p[0] == token.text), None)
            if name in ("GetStreamUri", "SetSynchronizationPoint") and profile is None:
                return self.fault(400, "ter:NoProfile", "no such profile")
            if name == "GetStreamUri":
                # The inside address, as a camera behind NAT reports it.
                uri = rtsp_url().replace("127.0.0.1", "192.168.1.64").rsplit(args.path, 1)[0] + profile[2]
                return self.reply(200, ONVIF_OK.format(body=(
                    f"<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>{uri}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
                    "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>")))
            if name == "SetSynchronizationPoint":
                if profile[0] == "main_profile":
                    for media in list(medias):
                        GLib.idle_add(lambda m=media: force_keyframe(m) and False)
                print(f"SYNC {profile[0]}", flush=True)
                return self.reply(200, ONVIF_OK.format(body="<trt:SetSynchronizationPointResponse/>"))
            return self.fault(400, "ter:ActionNotSupported", f"{name} is not supported")

    httpd = ThreadingHTTPServer(("127.0.0.1", args.onvif_port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}/onvif/device_service"


def start_timecode(media: "GstRtspServer.RTSPMedia", args: argparse.Namespace) -> None:
    """Feeds the appsrc at the frame rate from a thread; each frame carries the wall-clock
    time at which it was made (before encoding, like a camera's sensor readout)."""
    import threading
    import time

    appsrc = media.get_element().get_by_name("src")
    stop = threading.Event()
    media.connect("unprepared", lambda _m: stop.set())

    def run() -> None:
        interval = 1.0 / args.fps
        start = time.monotonic()
        tick = 0
        while not stop.is_set():
            frame = timecode_frame(args.width, args.height, int(time.time() * 1000) & 0xFFFFFFFF, tick)
            ret = appsrc.emit("push-buffer", Gst.Buffer.new_wrapped(frame))
            if ret not in (Gst.FlowReturn.OK, Gst.FlowReturn.FLUSHING):
                break
            tick += 1
            delay = start + tick * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    threading.Thread(target=run, daemon=True).start()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--address", default="127.0.0.1", help="the address to listen on (and to print)")
    ap.add_argument("--path", default="/cam")
    ap.add_argument("--codec", choices=["h264", "h265", "mjpeg"], default="h264")
    ap.add_argument("--profile", choices=["baseline", "main", "high"], default="baseline")
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--gop", type=int, default=50, help="frames between IDRs")
    ap.add_argument("--kbps", type=int, default=800)
    ap.add_argument("--pattern", default="ball", help="a videotestsrc pattern, or 'timecode' (capture time as blocks)")
    ap.add_argument(
        "--inband",
        action="store_true",
        help="send SPS/PPS in-band before every IDR (default: only in the SDP, like many cameras)",
    )
    ap.add_argument(
        "--sdp-only-parameter-sets",
        action="store_true",
        help="H.265: VPS/SPS/PPS only in the SDP (default: in-band before every IRAP as well)",
    )
    ap.add_argument("--auth", choices=["none", "basic", "digest"], default="none")
    ap.add_argument("--ignore-keyframe-requests", action="store_true", help="never honour PLI/FIR")
    ap.add_argument("--hold-backlog", action="store_true", help="over TCP, wait for a slow client rather than drop (drop-backlog off)")
    ap.add_argument("--session-timeout", type=int, default=0, help="RTSP session timeout in s (0: the server's 60)")
    ap.add_argument("--onvif", action="store_true", help="also serve a minimal ONVIF device (prints ONVIF <url>)")
    ap.add_argument("--onvif-port", type=int, default=0)
    ap.add_argument("--onvif-clock-offset", type=int, default=0, help="the ONVIF device clock is this many seconds off")
    ap.add_argument("--user", default="viewer")
    ap.add_argument("--password", default="s3cret")
    args = ap.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(pipeline(args))
    factory.set_shared(True)
    medias: list = []

    def configure(_factory, media):
        medias.append(media)
        media.connect("unprepared", lambda m: medias.remove(m) if m in medias else None)
        if args.pattern == "timecode":
            start_timecode(media, args)
        if args.ignore_keyframe_requests:
            ignore_keyframe_requests(media)

    factory.connect("media-configure", configure)
    if args.auth != "none":
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
        if args.auth == "digest":
            auth.add_digest(args.user, args.password, token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        server.set_auth(auth)
        factory.add_role_from_structure(Gst.Structure.from_string(
            "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")[0])
    server.get_mount_points().add_factory(args.path, factory)

    # Open RTSP connections, printed as they change, so tests can see that clients hang up.
    clients = {"n": 0}

    def on_client(_server, client):
        clients["n"] += 1
        print(f"CLIENTS {clients['n']}", flush=True)

        def on_closed(_c):
            clients["n"] -= 1
            print(f"CLIENTS {clients['n']}", flush=True)

        client.connect("closed", on_closed)
        if args.hold_backlog:
            client.set_property("drop-backlog", False)
        if args.session_timeout:
            client.connect("new-session", lambda _c, session: session.set_timeout(args.session_timeout))

    server.connect("client-connected", on_client)
    if args.session_timeout:
        # gst-rtsp-server expires sessions only when its pool is cleaned up: do it every second.
        GLib.timeout_add_seconds(1, lambda: server.get_session_pool().cleanup() >= 0)
    if server.attach(None) == 0:
        print("ERROR could not bind", flush=True)
        sys.exit(1)

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)

    # SIGUSR1: drop every RTSP session (a camera rebooting its streaming service).
    def drop_clients() -> bool:
        server.client_filter(lambda _s, _c: GstRtspServer.RTSPFilterResult.REMOVE)
        return True

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, drop_clients)
    rtsp_url = f"rtsp://{args.address}:{server.get_bound_port()}{args.path}"
    if args.onvif:
        print(f"ONVIF {start_onvif(args, lambda: rtsp_url, medias)}", flush=True)
    print(f"READY {rtsp_url}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
