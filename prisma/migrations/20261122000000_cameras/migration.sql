-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Camera" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "location" TEXT,
    "mainUrlEnc" TEXT NOT NULL,
    "subUrlEnc" TEXT,
    "alwaysOn" BOOLEAN NOT NULL DEFAULT false,
    "transcode" TEXT NOT NULL DEFAULT 'auto',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Camera_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CameraHealthEvent" (
    "id" BIGSERIAL NOT NULL,
    "cameraId" UUID NOT NULL,
    "stream" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "reason" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CameraHealthEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Camera_name_key" ON "Camera"("name");

-- CreateIndex
CREATE INDEX "CameraHealthEvent_cameraId_at_idx" ON "CameraHealthEvent"("cameraId", "at");

-- AddForeignKey
ALTER TABLE "CameraHealthEvent" ADD CONSTRAINT "CameraHealthEvent_cameraId_fkey" FOREIGN KEY ("cameraId") REFERENCES "Camera"("id") ON DELETE CASCADE ON UPDATE CASCADE;

