// The only code that reads and writes cameras in the database. URLs are sealed on the way
// in and opened on the way out; nothing else sees the stored form.
import type { PrismaClient } from '../db/generated/client.js';
import type { SecretBox } from '../util/SecretBox.js';
import type { CameraInput, IngestPath, RtspTransport, TranscodeMode } from './camera.schema.js';

export interface CameraRecord {
  id: string;
  name: string;
  location: string | null;
  mainUrl: string;
  subUrl: string | null;
  facilityId: string | null;
  alwaysOn: boolean;
  transcode: TranscodeMode;
  ingest: IngestPath;
  rtspTransport: RtspTransport;
  rtspBasicAuth: boolean;
  onvifUrl: string | null;
}

type Row = Awaited<ReturnType<PrismaClient['camera']['findFirstOrThrow']>>;

export class CameraRepository {
  readonly #prisma: PrismaClient;
  readonly #box: SecretBox;
  /** The node whose states this repository records (NODE_ID). */
  readonly #nodeId: string | null;

  constructor(prisma: PrismaClient, box: SecretBox, nodeId?: string) {
    this.#prisma = prisma;
    this.#box = box;
    this.#nodeId = nodeId ?? null;
  }

  #toRecord(row: Row): CameraRecord {
    return {
      id: row.id,
      name: row.name,
      location: row.location,
      mainUrl: this.#box.open(row.mainUrlEnc),
      subUrl: row.subUrlEnc ? this.#box.open(row.subUrlEnc) : null,
      facilityId: row.facilityId,
      alwaysOn: row.alwaysOn,
      transcode: row.transcode as TranscodeMode,
      ingest: row.ingest as IngestPath,
      rtspTransport: row.rtspTransport as RtspTransport,
      rtspBasicAuth: row.rtspBasicAuth,
      onvifUrl: row.onvifUrlEnc ? this.#box.open(row.onvifUrlEnc) : null,
    };
  }

  #toColumns(input: Partial<CameraInput>) {
    return {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.location !== undefined ? { location: input.location } : {}),
      ...(input.mainUrl !== undefined ? { mainUrlEnc: this.#box.seal(input.mainUrl) } : {}),
      ...(input.subUrl !== undefined ? { subUrlEnc: input.subUrl === null ? null : this.#box.seal(input.subUrl) } : {}),
      ...(input.facilityId !== undefined ? { facilityId: input.facilityId } : {}),
      ...(input.alwaysOn !== undefined ? { alwaysOn: input.alwaysOn } : {}),
      ...(input.transcode !== undefined ? { transcode: input.transcode } : {}),
      ...(input.ingest !== undefined ? { ingest: input.ingest } : {}),
      ...(input.rtspTransport !== undefined ? { rtspTransport: input.rtspTransport } : {}),
      ...(input.rtspBasicAuth !== undefined ? { rtspBasicAuth: input.rtspBasicAuth } : {}),
      ...(input.onvifUrl !== undefined ? { onvifUrlEnc: input.onvifUrl === null ? null : this.#box.seal(input.onvifUrl) } : {}),
    };
  }

  /** One camera as stored now; undefined once it is gone. */
  async get(id: string): Promise<CameraRecord | undefined> {
    const row = await this.#prisma.camera.findUnique({ where: { id } });
    return row ? this.#toRecord(row) : undefined;
  }

  async list(): Promise<CameraRecord[]> {
    const rows = await this.#prisma.camera.findMany({ orderBy: { name: 'asc' } });
    return rows.map((r) => this.#toRecord(r));
  }

  async create(input: CameraInput): Promise<CameraRecord> {
    const row = await this.#prisma.camera.create({
      data: { name: input.name, mainUrlEnc: this.#box.seal(input.mainUrl), ...this.#toColumns(input) },
    });
    return this.#toRecord(row);
  }

  /** Creates the camera or brings the one with the same name up to date. */
  async upsertByName(input: CameraInput): Promise<CameraRecord> {
    const row = await this.#prisma.camera.upsert({
      where: { name: input.name },
      create: { name: input.name, mainUrlEnc: this.#box.seal(input.mainUrl), ...this.#toColumns(input) },
      update: this.#toColumns(input),
    });
    return this.#toRecord(row);
  }

  async update(id: string, patch: Partial<CameraInput>): Promise<CameraRecord | undefined> {
    const exists = await this.#prisma.camera.findUnique({ where: { id }, select: { id: true } });
    if (!exists) return undefined;
    return this.#toRecord(await this.#prisma.camera.update({ where: { id }, data: this.#toColumns(patch) }));
  }

  async remove(id: string): Promise<boolean> {
    const { count } = await this.#prisma.camera.deleteMany({ where: { id } });
    return count > 0;
  }

  async recordHealth(cameraId: string, stream: 'main' | 'sub', state: string, reason: string | undefined): Promise<void> {
    await this.#prisma.cameraHealthEvent.create({ data: { cameraId, stream, state, reason: reason ?? null, nodeId: this.#nodeId } });
  }
}
