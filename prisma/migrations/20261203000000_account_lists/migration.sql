-- Account lists: a focal point's list of people is stored whole (every line valid) or not at
-- all; each request keeps its list and line. An approved new account's activation token is
-- kept sealed for the printable activation sheet, with the activation email's outcome.
CREATE TABLE "AccountList" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "submittedById" UUID NOT NULL,
    "source" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AccountList_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "AccountList_submittedById_idx" ON "AccountList"("submittedById");
ALTER TABLE "AccountList" ADD CONSTRAINT "AccountList_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "AccountRequest" ADD COLUMN "listId" UUID;
ALTER TABLE "AccountRequest" ADD COLUMN "line" INTEGER;
ALTER TABLE "AccountRequest" ADD COLUMN "activationEnc" TEXT;
ALTER TABLE "AccountRequest" ADD COLUMN "activationExpiresAt" TIMESTAMP(3);
ALTER TABLE "AccountRequest" ADD COLUMN "mailedAt" TIMESTAMP(3);
ALTER TABLE "AccountRequest" ADD COLUMN "mailError" TEXT;
CREATE INDEX "AccountRequest_listId_idx" ON "AccountRequest"("listId");
ALTER TABLE "AccountRequest" ADD CONSTRAINT "AccountRequest_listId_fkey" FOREIGN KEY ("listId") REFERENCES "AccountList"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
