-- A request naming an existing account asks for a role on that account, never for the account
-- itself: forUserId is the account, fixed when the request is submitted.
ALTER TABLE "AccountRequest" ADD COLUMN "forUserId" UUID;
