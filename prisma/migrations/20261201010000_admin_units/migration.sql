-- Administrative units become data of any depth (AdminUnit) instead of two fixed tables,
-- Province and District. Existing rows keep their ids, so facilities, organizations, role
-- assignments, account requests and the audit log keep pointing at the same places.

-- CreateEnum
CREATE TYPE "SurveyStatus" AS ENUM ('NOT_SURVEYED', 'SURVEYED', 'INSTALLING', 'CONNECTED', 'NOT_COOPERATING');

-- AlterEnum
ALTER TYPE "OrganizationKind" ADD VALUE 'OTHER';

-- CreateTable
CREATE TABLE "AdminUnit" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "parentId" UUID,
    "path" UUID[],
    "depth" INTEGER NOT NULL,
    "retiredAt" TIMESTAMP(3),

    CONSTRAINT "AdminUnit_pkey" PRIMARY KEY ("id")
);

-- Provinces and districts move over with their ids and codes.
INSERT INTO "AdminUnit" ("id", "code", "name", "level", "parentId", "path", "depth")
  SELECT "id", "code", "name", 'Tỉnh', NULL, ARRAY["id"], 1 FROM "Province";
INSERT INTO "AdminUnit" ("id", "code", "name", "level", "parentId", "path", "depth")
  SELECT "id", "code", "name", 'Huyện', "provinceId", ARRAY["provinceId", "id"], 2 FROM "District";

-- ScopeType: PROVINCE and DISTRICT become UNIT (the unit's own depth says which).
CREATE TYPE "ScopeType_new" AS ENUM ('NATION', 'UNIT', 'FACILITY', 'CAMERA');
ALTER TABLE "RoleAssignment" ALTER COLUMN "scopeType" TYPE "ScopeType_new"
  USING (CASE WHEN "scopeType"::text IN ('PROVINCE', 'DISTRICT') THEN 'UNIT' ELSE "scopeType"::text END::"ScopeType_new");
ALTER TABLE "AccountRequest" ALTER COLUMN "scopeType" TYPE "ScopeType_new"
  USING (CASE WHEN "scopeType"::text IN ('PROVINCE', 'DISTRICT') THEN 'UNIT' ELSE "scopeType"::text END::"ScopeType_new");
ALTER TYPE "ScopeType" RENAME TO "ScopeType_old";
ALTER TYPE "ScopeType_new" RENAME TO "ScopeType";
DROP TYPE "ScopeType_old";

-- Facility: its unit (the district it was in), and what the connection drive needs.
ALTER TABLE "Facility" DROP CONSTRAINT "Facility_districtId_fkey";
DROP INDEX "Facility_districtId_idx";
ALTER TABLE "Facility" RENAME COLUMN "districtId" TO "unitId";
ALTER TABLE "Facility"
ADD COLUMN     "address" TEXT,
ADD COLUMN     "camerasExpected" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "capacity" INTEGER,
ADD COLUMN     "connectBy" DATE,
ADD COLUMN     "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "leaderName" TEXT,
ADD COLUMN     "leaderPhone" TEXT,
ADD COLUMN     "retiredAt" TIMESTAMP(3),
ADD COLUMN     "surveyNote" TEXT,
ADD COLUMN     "surveySetAt" TIMESTAMP(3),
ADD COLUMN     "surveySetById" UUID,
ADD COLUMN     "surveyStatus" "SurveyStatus" NOT NULL DEFAULT 'NOT_SURVEYED';

-- Organization: the unit it works in (its province).
ALTER TABLE "Organization" RENAME COLUMN "provinceId" TO "unitId";
ALTER TABLE "Organization" ADD COLUMN "retiredAt" TIMESTAMP(3);
UPDATE "Organization" SET "unitId" = NULL WHERE "unitId" IS NOT NULL AND "unitId" NOT IN (SELECT "id" FROM "AdminUnit");

DROP TABLE "District";
DROP TABLE "Province";

-- CreateIndex
CREATE UNIQUE INDEX "AdminUnit_code_key" ON "AdminUnit"("code");
CREATE INDEX "AdminUnit_parentId_idx" ON "AdminUnit"("parentId");
CREATE INDEX "AdminUnit_path_idx" ON "AdminUnit" USING GIN ("path");
CREATE INDEX "Facility_unitId_idx" ON "Facility"("unitId");

-- AddForeignKey
ALTER TABLE "AdminUnit" ADD CONSTRAINT "AdminUnit_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "AdminUnit"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Facility" ADD CONSTRAINT "Facility_unitId_fkey" FOREIGN KEY ("unitId") REFERENCES "AdminUnit"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Organization" ADD CONSTRAINT "Organization_unitId_fkey" FOREIGN KEY ("unitId") REFERENCES "AdminUnit"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
