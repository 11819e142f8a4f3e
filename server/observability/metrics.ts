// Prometheus metrics (prom-client, a registry of our own, not the global one). Gauges read
// their sources when scraped; counters of events (logins, denials, views) follow the audit
// log's observer. Names and meanings are listed in docs/operations.md.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { AuditLog } from '../audit/AuditLog.js';
import type { CameraRegistry, StreamKind } from '../cameras/CameraRegistry.js';
import type { HealthState } from '../cameras/camera-health.js';
import type { ClusterBus } from '../cluster/ClusterBus.js';
import type { ClusterView } from '../cluster/CameraOwnership.js';
import type { MediaStats } from './media-stats.js';

export interface MetricsSources {
  stats: MediaStats;
  cameras: CameraRegistry;
  audit: AuditLog;
  /** How this node hears the cluster. */
  bus: Pick<ClusterBus, 'connected' | 'resyncs' | 'lost'>;
  /** Open socket.io connections. */
  sockets(): number;
  /** The cluster as this node sees it; undefined alone. */
  cluster?(): ClusterView | undefined;
}

const STATES: readonly HealthState[] = ['idle', 'connecting', 'restarting', 'live', 'stalled', 'offline'];

export class Metrics {
  readonly registry = new Registry();
  readonly #pluginErrors: Counter<'plugin' | 'hook'>;

  constructor(src: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    // ---- workers (one sample per scrape, shared by every gauge below) -----------------------
    const workerGauge = (name: string, help: string, pick: (w: Awaited<ReturnType<MediaStats['sample']>>['workers'][number]) => number) =>
      new Gauge({
        name, help, labelNames: ['worker'], registers,
        async collect() {
          this.reset();
          for (const w of (await src.stats.sample()).workers) this.set({ worker: String(w.index) }, pick(w));
        },
      });
    new Counter({
      name: 'giamsat_worker_cpu_seconds_total', help: 'CPU time (user + system) of each mediasoup worker since it started.', labelNames: ['worker'], registers,
      async collect() {
        this.reset();
        for (const w of (await src.stats.sample()).workers) this.inc({ worker: String(w.index) }, w.cpuSeconds);
      },
    });
    workerGauge('giamsat_worker_cpu_load_ratio', 'Share of one core each mediasoup worker used since the previous sample.', (w) => w.cpuLoad);
    workerGauge('giamsat_worker_resident_memory_bytes', 'Resident memory of each mediasoup worker.', (w) => w.memoryBytes);
    workerGauge('giamsat_mediasoup_routers', 'mediasoup routers per worker.', (w) => w.routers);
    workerGauge('giamsat_mediasoup_transports', 'mediasoup transports per worker (camera ingest and viewers).', (w) => w.transports);
    workerGauge('giamsat_mediasoup_producers', 'mediasoup producers per worker.', (w) => w.producers);
    workerGauge('giamsat_mediasoup_consumers', 'mediasoup consumers per worker.', (w) => w.consumers);
    new Gauge({
      name: 'giamsat_workers_alive', help: 'mediasoup workers alive.', registers,
      async collect() {
        this.set((await src.stats.sample()).workers.length);
      },
    });

    // ---- viewers' delivery quality, aggregated over live consumers ---------------------------
    const deliveryGauge = (name: string, help: string, pick: (d: Awaited<ReturnType<MediaStats['sample']>>['delivery']) => number) =>
      new Gauge({
        name, help, registers,
        async collect() {
          this.set(pick((await src.stats.sample()).delivery));
        },
      });
    deliveryGauge('giamsat_consumer_score_avg', 'Mean mediasoup consumer score (0-10, 10 = no loss).', (d) => d.scoreAvg);
    deliveryGauge('giamsat_consumer_score_min', 'Lowest mediasoup consumer score.', (d) => d.scoreMin);
    deliveryGauge('giamsat_consumer_packets_lost', 'Packets viewers reported lost, summed over live consumers.', (d) => d.packetsLost);
    deliveryGauge('giamsat_consumer_fraction_lost_avg', 'Mean fraction of packets lost reported by viewers (0-1).', (d) => d.fractionLostAvg);
    deliveryGauge('giamsat_consumer_round_trip_seconds_avg', 'Mean round-trip time to viewers.', (d) => d.rttAvg);
    deliveryGauge('giamsat_consumer_round_trip_seconds_max', 'Largest round-trip time to a viewer.', (d) => d.rttMax);
    // Bytes, not bits: Prometheus names carry base units (promtool's lint).
    deliveryGauge('giamsat_viewer_send_bytes_per_second', 'Bytes per second sent to viewers (all WebRTC transports).', (d) => d.bitrateOut / 8);

    // ---- cameras --------------------------------------------------------------------------
    type Row = { camera: string; name: string; stream: StreamKind };
    const streams = (): Array<Row & { health: NonNullable<ReturnType<CameraRegistry['list']>[number]['subHealth']> }> =>
      src.cameras.list().flatMap((c) => {
        const rows: Array<Row & { health: typeof c.health }> = [{ camera: c.id, name: c.name, stream: 'main', health: c.health }];
        if (c.subHealth) rows.push({ camera: c.id, name: c.name, stream: 'sub', health: c.subHealth });
        return rows;
      });
    const labels = ['camera', 'name', 'stream'] as const;
    const cameraGauge = (name: string, help: string, pick: (r: ReturnType<typeof streams>[number]) => number | undefined) =>
      new Gauge({
        name, help, labelNames: labels, registers,
        collect() {
          this.reset();
          for (const r of streams()) {
            const v = pick(r);
            if (v !== undefined) this.set({ camera: r.camera, name: r.name, stream: r.stream }, v);
          }
        },
      });
    new Gauge({
      name: 'giamsat_camera_state', help: 'Ingest state of each camera stream: 1 for the current state, 0 for the others.', labelNames: [...labels, 'state'], registers,
      collect() {
        this.reset();
        for (const r of streams()) for (const state of STATES) this.set({ camera: r.camera, name: r.name, stream: r.stream, state }, r.health.state === state ? 1 : 0);
      },
    });
    cameraGauge('giamsat_camera_up', '1 while the camera stream is live, else 0.', (r) => (r.health.state === 'live' ? 1 : 0));
    cameraGauge('giamsat_camera_frames_per_second', 'Frames per second received from the camera (3 s window).', (r) => r.health.fps);
    cameraGauge('giamsat_camera_receive_bytes_per_second', 'Bytes per second received from the camera (3 s window).', (r) => r.health.bitrateKbps * 1000 / 8);
    cameraGauge('giamsat_camera_viewers', 'Viewers (and other holders) of the camera stream.', (r) => r.health.viewers);
    cameraGauge('giamsat_camera_seconds_since_last_frame', 'Seconds since the last frame from the camera (absent before the first).', (r) =>
      (r.health.lastFrameAt ? (Date.now() - Date.parse(r.health.lastFrameAt)) / 1000 : undefined));
    const cameraCounter = (name: string, help: string, pick: (r: ReturnType<typeof streams>[number]) => number) =>
      new Counter({
        name, help, labelNames: labels, registers,
        collect() {
          this.reset();
          for (const r of streams()) this.inc({ camera: r.camera, name: r.name, stream: r.stream }, pick(r));
        },
      });
    cameraCounter('giamsat_camera_restarts_total', 'Ingest restarts of the camera stream (reconnections after failures).', (r) => r.health.restarts);
    cameraCounter('giamsat_camera_received_bytes_total', 'Bytes received from the camera.', (r) => src.cameras.stream(r.camera, r.stream).totals.bytes);
    cameraCounter('giamsat_camera_frames_total', 'Frames received from the camera.', (r) => src.cameras.stream(r.camera, r.stream).totals.frames);
    cameraCounter('giamsat_camera_rtp_packets_lost_total', 'RTP packets from the camera that never arrived (RTSP relay only).', (r) => src.cameras.stream(r.camera, r.stream).totals.packetsLost);
    new Counter({
      name: 'giamsat_camera_onvif_keyframe_requests_total', help: 'ONVIF SetSynchronizationPoint requests to the camera, by result (cameras with ONVIF only).',
      labelNames: [...labels, 'result'], registers,
      collect() {
        this.reset();
        for (const r of streams()) {
          const onvif = src.cameras.stream(r.camera, r.stream).onvifKeyframes;
          if (!onvif) continue;
          this.inc({ camera: r.camera, name: r.name, stream: r.stream, result: 'sent' }, onvif.sent);
          this.inc({ camera: r.camera, name: r.name, stream: r.stream, result: 'failed' }, onvif.failed);
        }
      },
    });

    // ---- people ----------------------------------------------------------------------------
    new Gauge({
      name: 'giamsat_socketio_connections', help: 'Open signaling (socket.io) connections.', registers,
      collect() {
        this.set(src.sockets());
      },
    });
    const logins = new Counter({ name: 'giamsat_logins_total', help: 'Sign-in attempts by result (success, failure, throttled).', labelNames: ['result'], registers });
    const denials = new Counter({ name: 'giamsat_access_denials_total', help: 'Refused camera subscriptions by reason.', labelNames: ['reason'], registers });
    const views = new Counter({ name: 'giamsat_views_started_total', help: 'Camera views started.', registers });
    for (const result of ['success', 'failure', 'throttled']) logins.inc({ result }, 0);
    src.audit.observer.on('appended', (e) => {
      if (e.action === 'login.success') logins.inc({ result: 'success' });
      else if (e.action === 'login.failure') logins.inc({ result: 'failure' });
      else if (e.action === 'login.throttled') logins.inc({ result: 'throttled' });
      else if (e.action === 'access.denied') denials.inc({ reason: String(e.details?.reason ?? 'unknown') });
      else if (e.action === 'view.start') views.inc();
    });

    // ---- audit log ---------------------------------------------------------------------------
    new Gauge({
      name: 'giamsat_audit_buffered_entries', help: 'Audit entries made but not yet written to the database.', registers,
      collect() {
        this.set(src.audit.state().buffered);
      },
    });
    /** A counter whose source keeps the total: read when scraped. */
    const scrapedCounter = (name: string, help: string, read: () => number) => new Counter({
      name, help, registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
    const auditCounter = (name: string, help: string, pick: (s: ReturnType<AuditLog['state']>) => number) => scrapedCounter(name, help, () => pick(src.audit.state()));
    auditCounter('giamsat_audit_write_failures_total', 'Audit batches the database failed to write (they are retried).', (s) => s.writeFailures);
    auditCounter('giamsat_audit_refused_entries_total', 'Audit entries refused (the buffer was full, or the database rejected the entry itself).', (s) => s.refused);
    auditCounter('giamsat_audit_checkpoint_failures_total', 'Signed checkpoints of the audit chain that could not be written or sent.', (s) => s.checkpointFailures);

    // ---- cluster -----------------------------------------------------------------------------
    new Gauge({
      name: 'giamsat_cluster_connected', help: '1 while this node hears the other nodes over Redis; 0 while it does not, or runs alone.', registers,
      collect() {
        this.set(src.bus.connected ? 1 : 0);
      },
    });
    scrapedCounter('giamsat_cluster_resyncs_total', 'Times this node came back to Redis after losing it and dropped its caches.', () => src.bus.resyncs);
    scrapedCounter('giamsat_cluster_announcements_lost_total', 'Changes made on this node that could not be announced to the others (a resync makes up for them).', () => src.bus.lost);

    const view = () => src.cluster?.();
    new Gauge({
      name: 'giamsat_cluster_nodes', help: 'Live nodes of the cluster as this node sees them, by role (0 alone).', labelNames: ['role'], registers,
      collect() {
        this.reset();
        for (const role of ['media', 'edge', 'both']) this.set({ role }, view()?.nodes.filter((n) => n.role === role).length ?? 0);
      },
    });
    new Gauge({
      name: 'giamsat_cluster_node_cameras', help: 'Cameras each live node of the cluster ingests, by node (from the node registry: every node, as this one sees them).', labelNames: ['node'], registers,
      collect() {
        this.reset();
        for (const n of view()?.nodes ?? []) this.set({ node: n.id }, n.load);
      },
    });
    new Gauge({
      name: 'giamsat_cluster_cameras_owned', help: 'Cameras this node ingests as their owner (every camera it ingests, alone).', registers,
      collect() {
        const v = view();
        this.set(v ? v.owned.length : src.cameras.list().filter((c) => c.health.state !== 'idle').length);
      },
    });
    new Gauge({
      name: 'giamsat_cluster_pipes', help: 'Pipes between this node and others: "out" feeds another node a camera this node owns, "in" takes one from its owner.', labelNames: ['direction'], registers,
      collect() {
        const v = view();
        this.set({ direction: 'out' }, v?.pipes.exported.length ?? 0);
        this.set({ direction: 'in' }, v?.pipes.imported.length ?? 0);
      },
    });
    scrapedCounter('giamsat_cluster_camera_handovers_total', 'Cameras this node stopped ingesting for another node to take (drained, or its lease lost).', () => view()?.moves ?? 0);

    // ---- plugins -----------------------------------------------------------------------------
    this.#pluginErrors = new Counter({ name: 'giamsat_plugin_hook_errors_total', help: 'Plugin hook calls that threw or ran over their time budget.', labelNames: ['plugin', 'hook'], registers });
  }

  /** Counts a failed plugin hook call (the plugin host reports these). */
  pluginHookError(plugin: string, hook: string): void {
    this.#pluginErrors.inc({ plugin, hook });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
