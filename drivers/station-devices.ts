/**
 * Builds every device of the station from its `devices.<name>` config section, real or simulated
 * per device. Real transports arrive as openers from the composition root (runtime/main.ts), so
 * simulation and tests never load a native hardware module.
 */
import type { Clock } from '../runtime/kernel/clock.js';
import type { DeviceConfigBase } from './types.js';
import { StationError } from '../runtime/kernel/errors.js';
import type { Logger } from '../runtime/kernel/logger.js';
import type { HubEntry } from './device-hub.js';
import { createSimulatedHealthSensors, type SimulatedHealthSensors } from './simulators/health-sensors.js';
import type { StatusIndicators } from './indicators.js';
import type { GpioIoPlugin } from './johnny-five-io.js';
import { PulseOximeter } from './max30102.js';
import { InfraredThermometer } from './mlx90614.js';
import { createSerialGpioDevices, type SerialGpioDevicesConfig, type SimulatedHardware } from './serial-gpio-devices.js';
import type { Spo2Calibration } from './spo2/analyze.js';
import type { GpioController } from './transports/gpio.js';
import type { I2cBus } from './transports/i2c.js';
import type { SerialLink, SerialSettings } from './transports/serial.js';
import type { DeviceName, StationDevice } from './types.js';
import type { CardReaderPort } from './id-chip/card-channel.js';
import { IdChipReader } from './id-chip/device.js';
import { PcscCardReader, type PcscContext } from './transports/pcsc-real.js';
import { SimCardReader } from './transports/pcsc-sim.js';

/** Openers of the real transports; given only by the composition root, only when a device is real. */
export interface RealTransports {
  openI2c?: (busNumber: number) => Promise<I2cBus>;
  openSerial?: (settings: SerialSettings) => SerialLink;
  openGpio?: () => GpioController;
  /** A PC/SC context of @pokusew/pcsclite (the chip CCCD reader). */
  openPcsc?: () => PcscContext;
}

export interface StationDevices {
  entries: Partial<Record<DeviceName, HubEntry>>;
  /** Devices switched off in config. */
  disabled: DeviceName[];
  indicators?: StatusIndicators;
  /** The GPIO IO plugin shared by keypad and indicators: closed last, after both stopped. */
  io?: GpioIoPlugin;
  /** Handles on the simulated hardware (absent parts are real or disabled). */
  sim: SimulatedHardware & { health?: SimulatedHealthSensors; idChip?: SimCardReader };
}

/** A real device whose transport could not be opened: the hub reports it missing, with the reason. */
class UnavailableDevice implements StationDevice {
  constructor(readonly name: DeviceName, private readonly reason: string) {}
  probe(): Promise<Record<string, unknown>> {
    return Promise.reject(new StationError('DEVICE_MISSING', this.reason));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The part of the station's config the devices are built from (config/schema.json `devices`, `dataDir`). */
export interface StationDevicesConfig {
  dataDir: string;
  devices: Partial<Record<DeviceName, DeviceConfigBase>>;
}

export async function createStationDevices(
  config: StationDevicesConfig,
  deps: { clock: Clock; logger: Logger; transports: RealTransports; simStreamPhase?: () => number },
): Promise<StationDevices> {
  const { clock, logger, transports } = deps;
  const devices = config.devices;
  const enabled = (c: DeviceConfigBase | undefined): c is DeviceConfigBase => c !== undefined && c.enabled !== false;
  const disabled = (Object.entries(devices) as [DeviceName, DeviceConfigBase][]).filter(([, c]) => c.enabled === false).map(([n]) => n);

  const serialGpio = createSerialGpioDevices(devices as SerialGpioDevicesConfig, {
    clock,
    logger,
    dataDir: config.dataDir,
    ...(deps.simStreamPhase ? { simStreamPhase: deps.simStreamPhase } : {}),
    ...(transports.openSerial ? { openSerial: transports.openSerial } : {}),
    ...(transports.openGpio ? { openGpio: transports.openGpio } : {}),
  });
  const entries = serialGpio.entries;
  const sim: StationDevices['sim'] = serialGpio.sim;

  const spo2 = devices.spo2;
  const thermometer = devices.thermometer;
  const i2cDevices = [enabled(spo2) ? spo2 : undefined, enabled(thermometer) ? thermometer : undefined];
  if (i2cDevices.some((c) => c?.mode === 'sim')) sim.health = createSimulatedHealthSensors(clock);
  const realBuses = new Map<number, Promise<I2cBus>>();
  const busFor = async (name: DeviceName, c: DeviceConfigBase): Promise<I2cBus | string> => {
    if (c.mode === 'sim') return sim.health!.bus;
    const number = (c.bus as number | undefined) ?? 1;
    if (!transports.openI2c) return `devices.${name} is real but no I2C transport was given`;
    let opening = realBuses.get(number);
    if (!opening) realBuses.set(number, (opening = transports.openI2c(number)));
    try {
      return await opening;
    } catch (err) {
      return `cannot open /dev/i2c-${number}: ${(err as Error).message}`;
    }
  };
  const child = (name: DeviceName) => logger.child({ component: `device:${name}` });

  if (enabled(spo2)) {
    const bus = await busFor('spo2', spo2);
    const calibration = spo2.calibration as Spo2Calibration | undefined;
    entries.spo2 = {
      mode: spo2.mode,
      device: typeof bus === 'string'
        ? new UnavailableDevice('spo2', bus)
        : new PulseOximeter(bus, clock, child('spo2'), {
            address: (spo2.address as number | undefined) ?? 0x57,
            ...(calibration ? { analysis: { calibration } } : {}),
          }),
    };
  }
  if (enabled(thermometer)) {
    const bus = await busFor('thermometer', thermometer);
    entries.thermometer = {
      mode: thermometer.mode,
      device: typeof bus === 'string'
        ? new UnavailableDevice('thermometer', bus)
        : new InfraredThermometer(bus, clock, child('thermometer'), {
            address: (thermometer.address as number | undefined) ?? 0x5a,
            offsetC: (thermometer.offsetC as number | undefined) ?? 0,
          }),
    };
  }
  const idChip = devices.idChip;
  if (enabled(idChip)) {
    const readerName = idChip.reader as string | undefined;
    let port: CardReaderPort | undefined;
    if (idChip.mode === 'sim') port = sim.idChip = new SimCardReader(clock);
    else if (transports.openPcsc) port = new PcscCardReader(transports.openPcsc, clock, child('idChip'), readerName ? { readerName } : {});
    entries.idChip = { mode: idChip.mode, device: port ? new IdChipReader(port) : new UnavailableDevice('idChip', 'devices.idChip is real but no PC/SC transport was given') };
  }
  return { entries, disabled, sim, ...(serialGpio.indicators ? { indicators: serialGpio.indicators } : {}), ...(serialGpio.io ? { io: serialGpio.io } : {}) };
}
