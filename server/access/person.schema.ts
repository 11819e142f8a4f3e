// The named person behind an account, as the source documents list them (full name, position,
// phone, email) with a username: one set of rules for account requests and for the first
// administrator made on the command line.
import { z } from 'zod';

export const personFields = {
  fullName: z.string().trim().min(2).max(200),
  position: z.string().trim().min(1).max(200),
  phone: z.string().trim().regex(/^\+?[0-9 .-]{8,20}$/, 'a phone number'),
  email: z.string().trim().email().max(200),
  username: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]{2,49}$/, 'lowercase letters, digits, ".", "_" or "-", 3 to 50'),
};
