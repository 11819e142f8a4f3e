-- Abuse limits shared by every node (issue: people and permissions, abuse limits).
--
-- Refresh tokens belong to a family (one sign-in and its rotations). A rotated token has
-- usedAt set; presenting it again means it was copied, and the whole family is revoked.
ALTER TABLE "RefreshToken" ADD COLUMN "familyId" UUID;
ALTER TABLE "RefreshToken" ADD COLUMN "usedAt" TIMESTAMP(3);
UPDATE "RefreshToken" SET "familyId" = "id";
ALTER TABLE "RefreshToken" ALTER COLUMN "familyId" SET NOT NULL;
CREATE INDEX "RefreshToken_familyId_idx" ON "RefreshToken"("familyId");

-- Fixed-window counters (sign-in attempts per account and per address, account requests per
-- focal point): one row per key, counted with one atomic upsert, so parallel requests on any
-- node cannot pass a limit together.
CREATE TABLE "RateCounter" (
    "key" TEXT NOT NULL,
    "windowStart" TIMESTAMP(3) NOT NULL,
    "count" INTEGER NOT NULL,
    CONSTRAINT "RateCounter_pkey" PRIMARY KEY ("key")
);
CREATE INDEX "RateCounter_windowStart_idx" ON "RateCounter"("windowStart");
