/**
 * The in-process MQTT broker (aedes) of the embedded demo, on loopback only. aedes is a
 * development dependency loaded here on demand: a production install (`npm ci --omit=dev`)
 * talks to a real broker and never loads it.
 */
import { createServer, type Server } from 'node:net';
import { RuntimeError } from './errors.ts';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(port: number, host = '127.0.0.1'): Promise<EmbeddedBroker> {
  let Aedes: typeof import('aedes').Aedes;
  try {
    ({ Aedes } = await import('aedes'));
  } catch (e) {
    throw new RuntimeError('BROKER_UNAVAILABLE', 'the embedded demo broker (aedes) is not installed: it is a development dependency, install with `npm ci` (not --omit=dev) or point the agent at a broker', {}, { cause: e });
  }
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new RuntimeError('BROKER_PORT_IN_USE', `port ${port} on ${host} is in use; start with --port N to pick another`, { port })
          : new RuntimeError('BROKER_LISTEN_FAILED', `cannot listen on ${host}:${port}: ${e.message}`, { port }, { cause: e }),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as { port: number }).port;
  return {
    url: `mqtt://${host}:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        aedes.close(() => undefined);
        // Connected clients keep the server open; aedes.close ends them.
      }),
  };
}
