/** A real mosquitto for one test file (scripts/local-mosquitto.ts), stopped and removed on teardown. */
import { startLocalMosquitto } from '../../scripts/local-mosquitto.js';
import type { Mosquitto, MosquittoOptions } from '../../scripts/local-mosquitto.js';

export type { ClientCert, Mosquitto, MosquittoOptions } from '../../scripts/local-mosquitto.js';

export async function startMosquitto(t: { teardown: (fn: () => unknown) => void }, options: MosquittoOptions = {}): Promise<Mosquitto> {
  const broker = await startLocalMosquitto(options);
  t.teardown(() => broker.dispose());
  return broker;
}
