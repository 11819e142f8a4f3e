-- CreateTable
CREATE TABLE "MonitorHeartbeat" (
    "nodeId" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "beatAt" TIMESTAMP(3) NOT NULL,
    "stopped" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "MonitorHeartbeat_pkey" PRIMARY KEY ("nodeId")
);
