/**
 * What the rest of the station sees of the devices: names, health, measurements and progress.
 * Drivers (drivers/<device>.ts) produce these; the DeviceHub tracks health; flows consume them
 * through {@link MeasureService}.
 */

/** Every device the station may have; a config key under `devices`. */
export const deviceNames = [
  'spo2', 'bloodPressure', 'scale', 'height', 'thermometer', 'cccdScanner', 'printer', 'keypad', 'idChip',
] as const;
export type DeviceName = (typeof deviceNames)[number];

/** `ok`: answering; `degraded`: answering with errors; `missing`: not answering; `disabled` in config. */
export type DeviceHealth = 'starting' | 'ok' | 'degraded' | 'missing' | 'disabled';

export interface DeviceStatus {
  name: DeviceName;
  /** Which implementation runs: the real transport or the simulator. */
  mode: 'real' | 'sim';
  health: DeviceHealth;
  /** Why the device is not ok, in plain words for the technician. */
  reason?: string;
  /** When health last changed (clock ms). */
  since: number;
  /** Driver-specific figures for the technician (error counts, firmware, paper status…). */
  detail?: Record<string, unknown>;
}

/** The measurements a flow can ask for. */
export type MeasurementKind = 'weight' | 'height' | 'spo2' | 'bloodPressure' | 'temperature';

export interface MeasurementValues {
  weight: { weightKg: number };
  height: { heightCm: number };
  spo2: { spo2: number; heartRate: number; perfusionIndex: number };
  bloodPressure: { systolic: number; diastolic: number; map: number; pulse: number };
  temperature: { celsius: number };
}

/** A validated reading. Values are reference values for the resident, not a diagnosis. */
export interface Measurement<K extends MeasurementKind = MeasurementKind> {
  kind: K;
  /** Clock ms when the reading was taken. */
  at: number;
  values: MeasurementValues[K];
  device: DeviceName;
}

/** Progress while a measurement runs, for the resident's screen and the technician's view. */
export interface MeasureProgress {
  kind: MeasurementKind;
  /** e.g. `waiting-finger`, `inflating`, `deflating`, `settling`, `reading`. */
  phase: string;
  /** Blood pressure: current cuff pressure in mmHg. */
  cuffPressure?: number;
  /** Seconds left before the reading completes (SpO2 finger time, for example). */
  secondsLeft?: number;
  /** A live, not yet valid value (scale settling). */
  liveValue?: number;
}

export interface MeasureOptions {
  /** Aborting stops the measurement and leaves the device safe (cuff deflated). */
  signal?: AbortSignal;
  onProgress?: (progress: MeasureProgress) => void;
}

/**
 * Takes one measurement. Rejects with a StationError (DEVICE_MISSING, DEVICE_READ_FAILED,
 * DEVICE_IMPLAUSIBLE, DEVICE_TIMEOUT, DEVICE_ABORTED) and never resolves with a failed read.
 */
export interface MeasureService {
  measure<K extends MeasurementKind>(kind: K, options?: MeasureOptions): Promise<Measurement<K>>;
}

/** What a device reports to the hub on its own (transport lost, paper out, recovered). */
export interface DeviceHealthReport {
  health: 'ok' | 'degraded' | 'missing';
  /** Plain words for the technician; never personal data. */
  reason?: string;
  detail?: Record<string, unknown>;
}

/**
 * The one shape every device driver has towards the DeviceHub (serial, GPIO and I2C alike).
 * Constructors only assign; `probe()` opens the transport and checks the device answers.
 */
export interface StationDevice {
  readonly name: DeviceName;
  /**
   * Opens the transport (idempotent) and checks the device answers (part id, status query).
   * Resolves with figures for the technician; rejects with StationError DEVICE_MISSING when it does not answer.
   */
  probe(): Promise<Record<string, unknown>>;
  /** Leaves the device safe (cuff deflated, LEDs off) and releases the transport; bounded, idempotent. */
  close(): Promise<void>;
  /**
   * Takes one measurement of this device's kind. Rejects with a StationError (DEVICE_READ_FAILED,
   * DEVICE_TIMEOUT, DEVICE_ABORTED, DEVICE_MISSING); never resolves with a failed read.
   */
  measure?(options?: MeasureOptions): Promise<Measurement>;
  /** Optional: the device tells the hub when its health changes between probes (unplug, paper out). */
  onHealthChange?(listener: (report: DeviceHealthReport) => void): void;
  /**
   * Optional: raw frames as they arrive, for the technician's live view (streaming devices such
   * as the scale indicator and the height rod). Returns the function that stops the stream.
   */
  watchReadings?(listener: (reading: LiveReading) => void): () => void;
}

/** One live frame for the technician: not validated, never a measurement. */
export interface LiveReading {
  phase?: string;
  cuffPressure?: number;
  /** The uncalibrated value (indicator kg, distance mm, IIO counts). */
  raw?: number;
  /** The value in `unit` after calibration or conversion. */
  value?: number;
  unit?: string;
  stable?: boolean;
  /** SpO2: a finger covers the sensor; `ppg` then holds the newest IR trace points (arbitrary units). */
  fingerOn?: boolean;
  ppg?: number[];
  /** SpO2: the current estimate (null when there is none yet or the signal is refused), see `label`. */
  heartRate?: number | null;
  spo2?: number | null;
  /** Set with an estimate: these are reference values, not a diagnosis. */
  label?: string;
}

/** Scale calibration, persisted by the station: `kg = (raw - zeroRaw) * kgPerCount`. */
export interface ScaleCalibration {
  zeroRaw: number;
  kgPerCount: number;
  /** The known weight used for the span, when one was. */
  knownKg?: number;
  calibratedAt: string;
}

/** A live reading pushed while `devices.reading.subscribe` is active for that device. */
export interface DeviceReading {
  device: DeviceName;
  at: number;
  /** e.g. `waiting-finger`, `inflating`, `settling`. */
  phase?: string;
  /** SpO2: a finger covers the sensor; `ppg` then holds the newest IR samples (arbitrary units). */
  fingerOn?: boolean;
  ppg?: number[];
  /** SpO2: the current estimate while watching (null when none), labelled as reference values. */
  heartRate?: number | null;
  spo2?: number | null;
  label?: string;
  /** Blood pressure: cuff pressure in mmHg. */
  cuffPressure?: number;
  /** Scale: the uncalibrated value (IIO counts or indicator kg) and the calibrated one. */
  raw?: number;
  value?: number;
  unit?: string;
  stable?: boolean;
}

/** Receipt lines for the ESC/POS printer; text is Vietnamese with diacritics, folded by the driver if needed. */
export interface ReceiptLine {
  text?: string;
  bold?: boolean;
  size?: 1 | 2;
  align?: 'left' | 'center' | 'right';
  /** A QR code with this payload instead of text. */
  qr?: string;
}

export interface ReceiptPrinter {
  print(lines: ReceiptLine[]): Promise<void>;
}

/** The part of a device's config every device has (config/schema.json `devices.*`). */
export interface SerialPortConfig {
  path: string;
  baudRate?: number;
}

export interface DeviceConfigBase {
  enabled: boolean;
  mode: 'real' | 'sim';
  optional: boolean;
  serial?: SerialPortConfig;
  [key: string]: unknown;
}
