/**
 * The simulated serial transport: serialport's MockBinding behind the same {@link StreamSerialLink}
 * the board uses, with a device emulator answering the host's bytes, and fault injection
 * (unplug mid-frame, replug, garbage, silence) for the hub's recovery tests.
 */
import { MockBinding } from '@serialport/binding-mock';
import type { MockPortBinding } from '@serialport/binding-mock';
import { StreamSerialLink } from './serial.js';
import type { SerialBinding, SerialLink } from './serial.js';

/** What a simulated device does with the wire. Emulators take the injected clock in their constructor. */
export interface DeviceEmulator {
  /** The port opened: from now on `send` reaches the host. */
  attach(send: (bytes: Uint8Array) => void): void;
  /** The port closed or was unplugged: stop sending and cancel timers. */
  detach(): void;
  /** Bytes the host wrote. */
  receive(bytes: Buffer): void;
}

/** The cable and the device's presence, under the test's (or the simulator UI's) control. */
export class SimSerialPort {
  private present = true;
  private silent = false;
  private cutAfter: number | undefined;
  private binding: MockPortBinding | undefined;
  /** Bindings whose cable was pulled: their next read fails as a disconnect. */
  private readonly pulled = new WeakSet<MockPortBinding>();

  constructor(
    readonly path: string,
    private readonly emulator: DeviceEmulator,
  ) {}

  /** True while the host holds the port open. */
  get isOpen(): boolean {
    return this.binding?.isOpen ?? false;
  }

  get isPresent(): boolean {
    return this.present;
  }

  /** The device disappears: the pending read fails as a disconnect and reopening fails until {@link replug}. */
  unplug(): void {
    this.present = false;
    this.emulator.detach();
    const binding = this.binding;
    this.binding = undefined;
    if (binding) this.pulled.add(binding);
    const pending = (binding as unknown as { pendingRead: ((err?: Error) => void) | null } | undefined)?.pendingRead;
    if (binding && pending) {
      (binding as unknown as { pendingRead: null }).pendingRead = null;
      pending(Object.assign(new Error(`${this.path} unplugged`), { disconnected: true }));
    }
  }

  /** Unplugs after the device has sent `bytes` more bytes: the host sees a torn frame. */
  unplugAfter(bytes: number): void {
    this.cutAfter = bytes;
  }

  replug(): void {
    this.present = true;
  }

  /** Ends every fault: plugged in, answering, no unplug armed. */
  clearFaults(): void {
    this.cutAfter = undefined;
    this.silent = false;
    this.present = true;
  }

  /** The device keeps its port but stops answering (jammed firmware, broken TX wire). */
  setSilent(silent: boolean): void {
    this.silent = silent;
  }

  /** Line noise or a confused device: raw bytes reach the host as if sent by the device. */
  injectGarbage(bytes: Uint8Array): void {
    if (this.binding?.isOpen) this.binding.emitData(Buffer.from(bytes));
  }

  /** Called by the sim binding when the host opens the port. */
  connect(binding: MockPortBinding): void {
    this.binding = binding;
    const read = binding.read.bind(binding);
    binding.read = async (buffer: Buffer, offset: number, length: number) => {
      // Bytes that reached the host before the cable went are still delivered, as from a kernel buffer.
      const buffered = (binding as unknown as { port?: { data: Buffer } }).port?.data.length ?? 0;
      if (this.pulled.has(binding) && buffered === 0) throw Object.assign(new Error(`${this.path} unplugged`), { disconnected: true });
      return read(buffer, offset, length);
    };
    const write = binding.write.bind(binding);
    binding.write = async (buffer: Buffer) => {
      await write(buffer);
      if (this.binding === binding && !this.silent) this.emulator.receive(Buffer.from(buffer));
    };
    const close = binding.close.bind(binding);
    binding.close = async () => {
      if (this.binding === binding) {
        this.binding = undefined;
        this.emulator.detach();
      }
      await close();
    };
    this.emulator.attach((bytes) => this.deviceSend(binding, bytes));
  }

  private deviceSend(binding: MockPortBinding, bytes: Uint8Array): void {
    if (this.binding !== binding || !binding.isOpen || this.silent) return;
    if (this.cutAfter !== undefined) {
      const cut = this.cutAfter;
      if (bytes.length >= cut) {
        this.cutAfter = undefined;
        if (cut > 0) binding.emitData(Buffer.from(bytes.subarray(0, cut)));
        this.unplug();
        return;
      }
      this.cutAfter -= bytes.length;
    }
    binding.emitData(Buffer.from(bytes));
  }
}

let nextPortId = 0;

/** A binding that opens MockBinding ports only while the simulated device is present. */
function simBinding(port: SimSerialPort): SerialBinding {
  return {
    ...MockBinding,
    async open(options: { path: string; baudRate: number }) {
      if (!port.isPresent) throw new Error(`Error: No such file or directory, cannot open ${options.path}`);
      const binding = await MockBinding.open(options);
      port.connect(binding);
      return binding;
    },
  } as unknown as SerialBinding;
}

export interface SimSerial {
  link: SerialLink;
  port: SimSerialPort;
}

/**
 * A serial link to an emulated device. Each call creates its own MockBinding port (MockBinding's
 * port table is process-wide), so parallel tests never share a port.
 */
export function createSimSerialLink(options: { path?: string; baudRate?: number; emulator: DeviceEmulator }): SimSerial {
  const path = `${options.path ?? '/dev/ttySIM'}#${++nextPortId}`;
  MockBinding.createPort(path, { echo: false, record: false });
  const port = new SimSerialPort(path, options.emulator);
  const link = new StreamSerialLink(simBinding(port), { path, baudRate: options.baudRate ?? 9600 });
  return { link, port };
}
