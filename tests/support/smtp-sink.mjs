// A real SMTP server process for the tests (smtp-server, the SMTP protocol implementation of
// the nodemailer project): it accepts every message on a loopback port and prints each one as
// a JSON line on stdout ({ from, to, data }). The first line printed is { port }.
import { SMTPServer } from 'smtp-server';

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  size: 1024 * 1024,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      process.stdout.write(`${JSON.stringify({ from: session.envelope.mailFrom && session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString('utf8') })}\n`);
      callback();
    });
  },
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.server.address().port })}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
