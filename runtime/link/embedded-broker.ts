/**
 * The development broker: aedes (MQTT 3.1.1 only) on a plain TCP server. `npm start` and tests use
 * it so a fresh machine shows the whole loop without installing mosquitto; production stations
 * talk MQTT 5 to mosquitto or a clustered broker instead.
 */
import { createServer } from 'node:net';
import type { Server, Socket, AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '../kernel/logger.js';

export interface EmbeddedBrokerOptions {
  /** Default 127.0.0.1; the development broker has no authentication, keep it on loopback. */
  host?: string;
  /** 0 picks a free port (read it from `url` after start). Default 1883. */
  port?: number;
  logger: Logger;
}

export class EmbeddedBroker {
  private readonly options: EmbeddedBrokerOptions;
  private broker: Aedes | null = null;
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  /** `mqtt://host:port` once started. */
  url = '';

  constructor(options: EmbeddedBrokerOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    const broker = await Aedes.createBroker();
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      broker.handle(socket);
    });
    broker.on('clientError', (client, err) => this.options.logger.debug({ client: client.id, err: err.message }, 'broker client error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 1883, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    this.url = `mqtt://${addr.address}:${addr.port}`;
    this.broker = broker;
    this.server = server;
    this.options.logger.info({ url: this.url }, 'embedded MQTT broker listening');
  }

  /** Closes client sockets, the server and the broker. Idempotent. */
  async stop(): Promise<void> {
    const { server, broker } = this;
    this.server = null;
    this.broker = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
}
