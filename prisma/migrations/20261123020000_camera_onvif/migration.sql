-- AlterTable
ALTER TABLE "Camera" ADD COLUMN     "onvifUrlEnc" TEXT;
