-- CreateTable
CREATE TABLE "WallLayout" (
    "userId" UUID NOT NULL,
    "layout" INTEGER NOT NULL,
    "tiles" JSONB NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WallLayout_pkey" PRIMARY KEY ("userId")
);

-- AddForeignKey
ALTER TABLE "WallLayout" ADD CONSTRAINT "WallLayout_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

