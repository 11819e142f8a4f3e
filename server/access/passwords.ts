// Password hashing with bcrypt (bcryptjs: maintained, no native build to break offline).
import bcrypt from 'bcryptjs';

const COST = 11;
/** A valid hash to compare against when the user does not exist, so timing does not tell. */
const DUMMY = bcrypt.hashSync('not a password', COST);

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, COST);
}

export function checkPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  return bcrypt.compare(password, hash ?? DUMMY);
}
