/**
 * The real serial transport: serialport's native bindings (bindings-cpp picks the Linux binding on
 * the board). Only the composition root imports this file, so simulation and tests never load the
 * native module.
 */
import { autoDetect } from '@serialport/bindings-cpp';
import { StreamSerialLink } from './serial.js';
import type { SerialLink, SerialSettings } from './serial.js';

export function createRealSerialLink(settings: SerialSettings): SerialLink {
  return new StreamSerialLink(autoDetect(), settings);
}
