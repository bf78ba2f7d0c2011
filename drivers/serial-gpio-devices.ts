/**
 * Builds the serial and GPIO devices from their config sections (`devices.<name>` in
 * config/schema.json), real or simulated per device. Native transports are not imported here:
 * the composition root passes `openSerial` (drivers/transports/serial-real.ts) and `openGpio`
 * (drivers/transports/gpio-real.ts) when any device is `real`, so simulation never loads them.
 */
import type { Clock } from '../runtime/kernel/clock.js';
import { StationError } from '../runtime/kernel/errors.js';
import type { Logger } from '../runtime/kernel/logger.js';
import { CccdScanner, CccdScannerEmulator } from './cccd.js';
import type { HubEntry } from './device-hub.js';
import { HeightRod, HeightRodEmulator } from './height-rod.js';
import { Hx711Scale } from './hx711-iio.js';
import { StatusIndicators } from './indicators.js';
import { GpioIoPlugin } from './johnny-five-io.js';
import { SimEmergencyButton } from './emergency-button.js';
import { MatrixKeypad, SimKeypadMatrix } from './keypad.js';
import { BloodPressureMonitor, NibpEmulator } from './nibp.js';
import { EscPosPrinterEmulator, EscPosReceiptPrinter } from './receipt-printer.js';
import { ScaleEmulator, SerialScale } from './scale.js';
import type { GpioController } from './transports/gpio.js';
import { SimGpio } from './transports/gpio-sim.js';
import type { SerialLink, SerialSettings } from './transports/serial.js';
import { createSimSerialLink } from './transports/serial-sim.js';
import type { DeviceEmulator, SimSerialPort } from './transports/serial-sim.js';
import type { DeviceName } from './types.js';

interface Base {
  enabled?: boolean;
  mode: 'real' | 'sim';
  serial?: { path: string; baudRate?: number };
}

export interface SerialGpioDevicesConfig {
  bloodPressure?: Base & { measurementTimeoutMs?: number };
  scale?: Base & { source?: 'serial' | 'iio'; iioDevice?: string; calibrationFile?: string; tareCommand?: string };
  height?: Base & { mountingHeightMm?: number };
  cccdScanner?: Base;
  printer?: Base & { codePage?: number | null };
  keypad?: Base & { rows?: number[]; cols?: number[]; led?: number; buzzer?: number; debounceMs?: number; emergency?: number };
}

export interface SerialGpioDeps {
  clock: Clock;
  logger: Logger;
  /** Real serial ports (createRealSerialLink); required when a serial device is `real`. */
  openSerial?: (settings: SerialSettings) => SerialLink;
  /** Real GPIO (createRealGpio); required when the keypad is `real`. */
  openGpio?: () => GpioController;
  /** Where the HX711 calibration lives when `scale.calibrationFile` is not set (the data directory). */
  dataDir: string;
  /**
   * Where in its output cycle each free-running simulated device (scale indicator, height rod) is,
   * as a fraction of its period: a real one was powered at some unknown moment before the station
   * started, so the daemon draws it at random; default 0 (tests, on a round clock).
   */
  simStreamPhase?: () => number;
}

/** Output period of the simulated scale indicator and height rod (10 lines or frames a second). */
const SIM_STREAM_PERIOD_MS = 100;

/** Handles on the simulated hardware, for the simulator UI, technician drills and tests. */
export interface SimulatedHardware {
  ports: Partial<Record<DeviceName, SimSerialPort>>;
  nibp?: NibpEmulator;
  scale?: ScaleEmulator;
  height?: HeightRodEmulator;
  scanner?: CccdScannerEmulator;
  printer?: EscPosPrinterEmulator;
  gpio?: SimGpio;
  keypad?: SimKeypadMatrix;
  emergencyButton?: SimEmergencyButton;
}

export interface SerialGpioDevices {
  entries: Partial<Record<DeviceName, HubEntry>>;
  /** Status LED and buzzer (start() them after the hub; stop() them before). */
  indicators?: StatusIndicators;
  /** The IO plugin the keypad and indicators share: `close()` it last, after both stopped, to unexport the lines. */
  io?: GpioIoPlugin;
  sim: SimulatedHardware;
}

/** Default serial speeds: 9600 8N1 for every device here (NIBP, indicator, A02YYUW, scanners, printers). */
const DEFAULT_BAUD = 9600;

export function createSerialGpioDevices(config: SerialGpioDevicesConfig, deps: SerialGpioDeps): SerialGpioDevices {
  const { clock, logger } = deps;
  const entries: Partial<Record<DeviceName, HubEntry>> = {};
  const sim: SimulatedHardware = { ports: {} };
  const on = (c: Base | undefined): c is Base => c !== undefined && c.enabled !== false;
  const stream = () => ({ periodMs: SIM_STREAM_PERIOD_MS, phaseMs: Math.floor((deps.simStreamPhase?.() ?? 0) * SIM_STREAM_PERIOD_MS) });

  const link = (name: DeviceName, c: Base, emulator: () => DeviceEmulator): SerialLink => {
    if (c.mode === 'sim') {
      const s = createSimSerialLink({ path: `/dev/sim-${name}`, baudRate: c.serial?.baudRate ?? DEFAULT_BAUD, emulator: emulator() });
      sim.ports[name] = s.port;
      return s.link;
    }
    if (!deps.openSerial) throw new StationError('CONFIG_INVALID', `devices.${name} is real but no serial transport was given`);
    if (!c.serial?.path) throw new StationError('CONFIG_INVALID', `devices.${name}.serial.path is required for a real device`);
    return deps.openSerial({ path: c.serial.path, baudRate: c.serial.baudRate ?? DEFAULT_BAUD });
  };
  const child = (name: DeviceName) => logger.child({ component: `device:${name}` });

  if (on(config.bloodPressure)) {
    const c = config.bloodPressure;
    const l = link('bloodPressure', c, () => (sim.nibp = new NibpEmulator(clock, { systolic: 118, diastolic: 76, pulse: 72 })));
    entries.bloodPressure = {
      mode: c.mode,
      device: new BloodPressureMonitor(l, clock, child('bloodPressure'), c.measurementTimeoutMs ? { measurementTimeoutMs: c.measurementTimeoutMs } : {}),
    };
  }
  if (on(config.scale)) {
    const c = config.scale;
    if (c.source === 'iio') {
      entries.scale = {
        mode: c.mode,
        device: new Hx711Scale(clock, child('scale'), {
          iioDevice: c.iioDevice ?? '/sys/bus/iio/devices/iio:device0',
          calibrationFile: c.calibrationFile ?? `${deps.dataDir}/scale-calibration.json`,
        }),
      };
    } else {
      // Like the simulated finger on the SpO2 sensor, a resident stands on the simulated scale by default.
      const l = link('scale', c, () => (sim.scale = new ScaleEmulator(clock, { loadKg: 62.4, ...stream() })));
      entries.scale = { mode: c.mode, device: new SerialScale(l, clock, child('scale'), c.tareCommand ? { tareCommand: c.tareCommand } : {}) };
    }
  }
  if (on(config.height)) {
    const c = config.height;
    const mountingHeightMm = c.mountingHeightMm ?? 2200;
    const l = link('height', c, () => (sim.height = new HeightRodEmulator(clock, { mountingHeightMm, personHeightMm: 1640, ...stream() })));
    entries.height = { mode: c.mode, device: new HeightRod(l, clock, child('height'), { mountingHeightMm }) };
  }
  if (on(config.cccdScanner)) {
    const c = config.cccdScanner;
    const l = link('cccdScanner', c, () => (sim.scanner = new CccdScannerEmulator()));
    entries.cccdScanner = { mode: c.mode, device: new CccdScanner(l, clock, child('cccdScanner')) };
  }
  if (on(config.printer)) {
    const c = config.printer;
    const l = link('printer', c, () => (sim.printer = new EscPosPrinterEmulator()));
    entries.printer = { mode: c.mode, device: new EscPosReceiptPrinter(l, clock, child('printer'), { cp1258Table: c.codePage ?? null }) };
  }
  let indicators: StatusIndicators | undefined;
  let io: GpioIoPlugin | undefined;
  if (on(config.keypad)) {
    const c = config.keypad;
    const rows = c.rows ?? [5, 6, 13, 19];
    const cols = c.cols ?? [12, 16, 20, 21];
    const emergency = c.emergency ?? 26;
    let gpio: GpioController;
    if (c.mode === 'sim') {
      sim.gpio = new SimGpio();
      sim.keypad = new SimKeypadMatrix(sim.gpio, { rows, cols });
      sim.emergencyButton = new SimEmergencyButton(sim.gpio, emergency);
      gpio = sim.gpio;
    } else {
      if (!deps.openGpio) throw new StationError('CONFIG_INVALID', 'devices.keypad is real but no GPIO transport was given');
      gpio = deps.openGpio();
    }
    io = new GpioIoPlugin(gpio);
    entries.keypad = { mode: c.mode, device: new MatrixKeypad(io, clock, child('keypad'), { rows, cols, debounceMs: c.debounceMs ?? 30, emergency }) };
    indicators = new StatusIndicators(io, clock, { ledLine: c.led ?? 17, buzzerLine: c.buzzer ?? 27 });
  }
  return indicators && io ? { entries, indicators, io, sim } : { entries, sim };
}
