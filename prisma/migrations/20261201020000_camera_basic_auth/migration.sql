-- AlterTable
ALTER TABLE "Camera" ADD COLUMN "rtspBasicAuth" BOOLEAN NOT NULL DEFAULT false;
