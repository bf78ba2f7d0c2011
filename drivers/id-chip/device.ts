/**
 * The `idChip` device: a contactless reader for the chip CCCD, as the hub sees it. Present means
 * the reader (not a card) answers; a reader that goes away makes the device missing until it is back.
 */
import type { CardReaderPort } from './card-channel.js';
import type { DeviceHealthReport, StationDevice } from '../types.js';

export class IdChipReader implements StationDevice {
  readonly name = 'idChip' as const;
  private listener: ((report: DeviceHealthReport) => void) | undefined;

  constructor(readonly port: CardReaderPort) {
    port.events.on('readerLost', this, (r) => this.listener?.({ health: 'missing', reason: `${r.name}: ${r.reason}` }));
  }

  async probe(): Promise<Record<string, unknown>> {
    await this.port.open();
    return { reader: this.port.readerName, cardPresent: this.port.cardPresent };
  }

  onHealthChange(listener: (report: DeviceHealthReport) => void): void {
    this.listener = listener;
  }

  async close(): Promise<void> {
    this.port.events.offOwner(this);
    await this.port.close();
  }
}
