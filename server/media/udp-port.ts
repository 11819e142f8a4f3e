// A free UDP port on 127.0.0.1, for ffmpeg's fixed RTP source ports.
import dgram from 'node:dgram';

/** Binds port 0, reads the port the kernel chose, releases it. */
export function allocateUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}
