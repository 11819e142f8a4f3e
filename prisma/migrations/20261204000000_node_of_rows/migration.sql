-- Which node recorded a camera's state, and which node served a view: after a node's crash,
-- only its own cameras count as unmonitored and only its own views are closed at its last beat.
ALTER TABLE "CameraHealthEvent" ADD COLUMN "nodeId" TEXT;
ALTER TABLE "ViewSession" ADD COLUMN "nodeId" TEXT;
CREATE INDEX "ViewSession_nodeId_endedAt_idx" ON "ViewSession"("nodeId", "endedAt");
