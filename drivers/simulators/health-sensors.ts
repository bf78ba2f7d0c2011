import type { Clock } from '../../runtime/kernel/clock.js';
import { max30102Address } from '../max30102.js';
import { SimMax30102 } from './max30102.js';
import { mlx90614Address } from '../mlx90614.js';
import { SimMlx90614 } from './mlx90614.js';
import { SimI2cBus } from '../transports/i2c-sim.js';
import type { PpgSignalSpec } from './ppg.js';

export interface SimulatedHealthSensorsOptions {
  /** Seed of the bus faults and of every simulated signal; default 1. */
  seed?: number;
  /** The finger on the SpO2 sensor; default a resting adult (72 bpm, 97%, perfusion 2%). */
  finger?: PpgSignalSpec | null;
  /** Forehead skin temperature, °C; default 35.1 (a normal reading). */
  objectC?: number;
}

export interface SimulatedHealthSensors {
  bus: SimI2cBus;
  oximeter: SimMax30102;
  thermometer: SimMlx90614;
}

/**
 * The station's I2C health sensors in simulation: one bus with a MAX30102 at 0x57 and an MLX90614
 * at 0x5A. The composition root hands `bus` to PulseOximeter and InfraredThermometer exactly as it
 * would the real bus; tests and the technician's fault drills reach the devices through the rest.
 */
export function createSimulatedHealthSensors(clock: Clock, options: SimulatedHealthSensorsOptions = {}): SimulatedHealthSensors {
  const seed = options.seed ?? 1;
  const bus = new SimI2cBus({ seed });
  const finger = options.finger === undefined
    ? { heartRate: 72, spo2: 97, perfusionIndex: 2, noise: 5, seed }
    : options.finger;
  const oximeter = new SimMax30102(clock, { finger });
  const thermometer = new SimMlx90614({ seed, ...(options.objectC === undefined ? {} : { objectC: options.objectC }) });
  bus.attach(max30102Address, oximeter);
  bus.attach(mlx90614Address, thermometer);
  return { bus, oximeter, thermometer };
}
