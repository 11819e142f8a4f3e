-- AlterTable
ALTER TABLE "Camera" ADD COLUMN     "ingest" TEXT NOT NULL DEFAULT 'auto',
ADD COLUMN     "rtspTransport" TEXT NOT NULL DEFAULT 'tcp';

