-- CreateTable
CREATE TABLE "PluginEvent" (
    "id" BIGSERIAL NOT NULL,
    "plugin" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "cameraId" UUID,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "details" JSONB NOT NULL,

    CONSTRAINT "PluginEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "PluginEvent_cameraId_at_idx" ON "PluginEvent"("cameraId", "at");

-- CreateIndex
CREATE INDEX "PluginEvent_plugin_type_at_idx" ON "PluginEvent"("plugin", "type", "at");

