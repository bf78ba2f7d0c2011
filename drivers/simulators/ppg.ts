import { SeededRandom } from '../transports/seeded-random.js';
import { defaultCalibration, ratioFromSpo2 } from '../spo2/analyze.js';
import type { Spo2Calibration } from '../spo2/analyze.js';

/** What the simulated finger and sensor look like. */
export interface PpgSignalSpec {
  /** Beats per minute. */
  heartRate: number;
  /** Percent; turned into red/IR amplitudes through the calibration curve. */
  spo2: number;
  /** IR AC/DC in percent (0.3 cold finger … 5 warm). */
  perfusionIndex: number;
  /** White sensor noise, ADC counts RMS; default 5. */
  noise?: number;
  /** 0 still … 1 restless: how often and how hard the finger moves; default 0. */
  motion?: number;
  /** Seed of every random choice; default 1. */
  seed?: number;
  /** Sample rate; default 100 Hz. */
  rateHz?: number;
  /** Mean IR level, counts; default 120 000. */
  dcIr?: number;
  /** Mean red level, counts; default 90 000. */
  dcRed?: number;
  /** Beat-to-beat period variation (fraction, RMS); default 0.02. */
  heartRateVariability?: number;
  /** Breathing wander of the baseline (fraction of DC); default 0.003. */
  baselineWander?: number;
  /** How much breathing swells and shrinks the pulse (fraction); default 0.1. */
  respiratoryModulation?: number;
  /** Red pulse lag behind IR (the wavelengths sample slightly different depths), ms; default 8. */
  redDelayMs?: number;
  /** Slow independent drift of each channel (tissue settling, LED warm-up), fraction of DC RMS; default 0.001. */
  drift?: number;
  /** False: nothing on the sensor (ambient leakage only); default true. */
  finger?: boolean;
  /** Curve used to turn SpO2 into the red/IR ratio; default SpO2 = 110 − 25·R. */
  calibration?: Spo2Calibration;
  /** ADC full scale; samples are clamped to 0…fullScale; default 262 143 (18 bits). */
  fullScale?: number;
}

export interface PpgSample {
  red: number;
  ir: number;
}

/** Blood volume over one beat (phase 0–1): a systolic wave and a smaller dicrotic wave, 0…1. */
function pulseShape(phase: number): number {
  const g = (centre: number, width: number) => {
    let s = 0;
    for (const shift of [-1, 0, 1]) {
      const d = (phase - centre + shift) / width;
      s += Math.exp(-0.5 * d * d);
    }
    return s;
  };
  return g(0.18, 0.07) + 0.4 * g(0.45, 0.09);
}

/** pulseShape's minimum and maximum, sampled once, to normalise it to 0…1. */
const shapeRange = (() => {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < 1000; i++) {
    const v = pulseShape(i / 1000);
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return { lo, hi };
})();

interface MotionEpisode {
  start: number;
  end: number;
  hz: number;
  amplitude: number;
  redCoupling: number;
}

/**
 * A seeded photoplethysmogram: light returned through a finger, red and IR, in ADC counts. The
 * light dips as each beat fills the finger with blood (Beer–Lambert); the red dip relative to its
 * level is R times the IR one, with R from the SpO2 through the calibration curve, so a correct
 * analyser recovers the SpO2 it was given. Breathing moves the baseline; motion adds large
 * artefacts that do not keep the red/IR ratio; noise is white. So that the analysis is not tested
 * only against its own model, the simulator adds what it does not assume: a red pulse lagging the
 * IR one, breathing modulating the pulse height, and slow drift independent in each channel.
 * Same spec, same samples.
 */
export class PpgSimulator {
  readonly rateHz: number;
  private readonly random: SeededRandom;
  private readonly spec: Required<Omit<PpgSignalSpec, 'calibration' | 'seed'>> & { ratio: number };
  private index = 0;
  private driftIr = 0;
  private driftRed = 0;
  private phase = 0;
  private period: number;
  private episode: MotionEpisode | null = null;
  private nextEpisodeAt: number;

  constructor(spec: PpgSignalSpec) {
    this.random = new SeededRandom(spec.seed ?? 1);
    this.rateHz = spec.rateHz ?? 100;
    this.spec = {
      heartRate: spec.heartRate,
      spo2: spec.spo2,
      perfusionIndex: spec.perfusionIndex,
      noise: spec.noise ?? 5,
      motion: spec.motion ?? 0,
      rateHz: this.rateHz,
      dcIr: spec.dcIr ?? 120_000,
      dcRed: spec.dcRed ?? 90_000,
      heartRateVariability: spec.heartRateVariability ?? 0.02,
      baselineWander: spec.baselineWander ?? 0.003,
      respiratoryModulation: spec.respiratoryModulation ?? 0.1,
      redDelayMs: spec.redDelayMs ?? 8,
      drift: spec.drift ?? 0.001,
      finger: spec.finger ?? true,
      fullScale: spec.fullScale ?? 262_143,
      ratio: ratioFromSpo2(spec.spo2, spec.calibration ?? defaultCalibration),
    };
    this.phase = this.random.next();
    this.period = this.nextPeriod();
    this.nextEpisodeAt = this.drawEpisodeGap();
  }

  /** Seconds of one beat at the nominal rate, varied beat to beat. */
  private nextPeriod(): number {
    return (60 / this.spec.heartRate) * (1 + this.spec.heartRateVariability * this.random.gaussian());
  }

  private drawEpisodeGap(): number {
    if (this.spec.motion <= 0) return Infinity;
    // Mean gap between movements: 12 s for a slightly restless finger (0.1) down to 1.2 s (1).
    const meanGap = 1.2 / this.spec.motion;
    return this.index + Math.round(-Math.log(1 - this.random.next()) * meanGap * this.rateHz);
  }

  next(): PpgSample {
    const s = this.spec;
    const t = this.index / this.rateHz;
    if (!s.finger) {
      this.index++;
      return {
        red: this.clamp(800 + s.noise * this.random.gaussian()),
        ir: this.clamp(1200 + s.noise * this.random.gaussian()),
      };
    }
    const breath = Math.sin(2 * Math.PI * 0.25 * t + 1.3);
    const wander = 1 + s.baselineWander * breath;
    const normalise = (v: number) => (v - shapeRange.lo) / (shapeRange.hi - shapeRange.lo);
    const volumeIr = normalise(pulseShape(this.phase));
    const lagPhase = (s.redDelayMs / 1000) / this.period;
    const volumeRed = normalise(pulseShape((this.phase - lagPhase + 1) % 1));
    const depthIr = (s.perfusionIndex / 100) * (1 + s.respiratoryModulation * breath);
    // Drift: a slow random walk per channel, pulled back to zero (an Ornstein–Uhlenbeck process
    // with a 5 s time constant), so it wanders without running away.
    const pull = 1 / (5 * this.rateHz);
    const kick = s.drift * Math.sqrt(2 * pull);
    this.driftIr += -pull * this.driftIr + kick * this.random.gaussian();
    this.driftRed += -pull * this.driftRed + kick * this.random.gaussian();
    let ir = s.dcIr * (wander + this.driftIr) * (1 - depthIr * volumeIr);
    let red = s.dcRed * (wander + this.driftRed) * (1 - s.ratio * depthIr * volumeRed);

    if (this.episode === null && this.index >= this.nextEpisodeAt) {
      const duration = Math.round(this.random.between(0.5, 2) * this.rateHz);
      this.episode = {
        start: this.index,
        end: this.index + duration,
        hz: this.random.between(0.7, 3),
        // Movement shifts the finger by several pulse heights; the red/IR coupling differs
        // because the two wavelengths travel different tissue paths.
        amplitude: s.dcIr * depthIr * this.random.between(2, 8) * (0.5 + s.motion),
        redCoupling: this.random.between(0.4, 1.6),
      };
    }
    if (this.episode) {
      const e = this.episode;
      const u = (this.index - e.start) / (e.end - e.start);
      const envelope = Math.sin(Math.PI * u);
      const artefact = e.amplitude * envelope * Math.sin(2 * Math.PI * e.hz * (this.index - e.start) / this.rateHz);
      ir += artefact;
      red += artefact * e.redCoupling * (s.dcRed / s.dcIr);
      if (this.index >= e.end) {
        this.episode = null;
        this.nextEpisodeAt = this.drawEpisodeGap();
      }
    }

    ir += s.noise * this.random.gaussian();
    red += s.noise * this.random.gaussian();

    this.phase += 1 / (this.period * this.rateHz);
    if (this.phase >= 1) {
      this.phase -= 1;
      this.period = this.nextPeriod();
    }
    this.index++;
    return { red: this.clamp(red), ir: this.clamp(ir) };
  }

  /** The next `count` samples as two arrays. */
  take(count: number): { red: Float64Array; ir: Float64Array } {
    const red = new Float64Array(count);
    const ir = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const s = this.next();
      red[i] = s.red;
      ir[i] = s.ir;
    }
    return { red, ir };
  }

  private clamp(v: number): number {
    return Math.min(this.spec.fullScale, Math.max(0, Math.round(v)));
  }
}
