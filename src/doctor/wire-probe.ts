import { connect } from 'node:net';

/**
 * Opens a TCP connection, sends the first bytes of a protocol and resolves
 * with the first bytes the server answers. This tells a real RabbitMQ,
 * PostgreSQL or Redis apart from any program that merely listens on the port.
 */
export function exchangeGreeting(host: string, port: number, greeting: Buffer, timeoutMs = 1500): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => socket.write(greeting));
    socket.once('data', (data) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(error.code === 'ECONNREFUSED' ? `nothing listens on ${host}:${port}` : `${host}:${port}: ${error.message}`));
    });
  });
}

/** AMQP 0-9-1 protocol header; a broker answers with a Connection.Start method frame (type 1). */
export const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

/** PostgreSQL SSLRequest; a server answers a single byte, 'S' or 'N'. */
export const POSTGRES_SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** Redis inline PING; a server answers +PONG (or -NOAUTH when a password is set). */
export const REDIS_PING = Buffer.from('PING\r\n');
