// `npm run demo:totp -- <login>`: the current second-factor code of a demo account.
import { totpCode } from '../access/totp.js';
import { DEMO_USERS, demoTotpSecret } from './demo-province.js';

const login = process.argv[2];
if (!login || !DEMO_USERS.some((u) => u.username === login)) {
  console.error(`usage: npm run demo:totp -- <login>   (one of: ${DEMO_USERS.map((u) => u.username).join(', ')})`);
  process.exit(2);
}
console.log(totpCode(demoTotpSecret(login)));
