/**
 * Simulated GPIO: lines whose input levels a test (or a simulated keypad) sets, with edges
 * delivered to watchers, and whose output levels are recorded.
 */
import { StationError } from '../../runtime/kernel/errors.js';
import type { GpioController, GpioDirection, GpioEdge, GpioLine, GpioValue } from './gpio.js';

interface SimLineState {
  level: GpioValue;
  direction: GpioDirection;
  edge: GpioEdge;
  watchers: Set<(value: GpioValue) => void>;
  exported: boolean;
}

export class SimGpio implements GpioController {
  private readonly lines = new Map<number, SimLineState>();
  private readonly writeListeners = new Set<(line: number, value: GpioValue) => void>();
  /** Input levels computed from outputs (a keypad matrix connects rows to columns). */
  private resolver: ((line: number) => GpioValue | undefined) | undefined;

  constructor(private readonly lineCount = 28) {}

  open(line: number, direction: GpioDirection, edge: GpioEdge = 'none'): GpioLine {
    if (!Number.isInteger(line) || line < 0 || line >= this.lineCount) {
      throw new StationError('DEVICE_MISSING', `GPIO line ${line} does not exist (0–${this.lineCount - 1})`);
    }
    const state = this.state(line);
    state.direction = direction;
    state.edge = edge;
    state.exported = true;
    if (direction === 'out') state.level = 0;
    return {
      line,
      direction,
      read: () => this.level(line),
      write: (value: GpioValue) => {
        if (state.direction !== 'out') throw new StationError('INTERNAL', `GPIO line ${line} is an input`);
        this.drive(line, value);
        for (const l of this.writeListeners) l(line, value);
      },
      watch: (listener) => {
        state.watchers.add(listener);
        return () => state.watchers.delete(listener);
      },
      unexport: () => {
        state.exported = false;
        state.watchers.clear();
      },
    };
  }

  /** The level a host read would see now. */
  level(line: number): GpioValue {
    const state = this.state(line);
    if (state.direction === 'in' && this.resolver) {
      const v = this.resolver(line);
      if (v !== undefined) return v;
    }
    return state.level;
  }

  isExported(line: number): boolean {
    return this.lines.get(line)?.exported ?? false;
  }

  /** Sets an input from outside (a button, a sensor) and delivers the edge. */
  set(line: number, value: GpioValue): void {
    this.drive(line, value);
  }

  onWrite(listener: (line: number, value: GpioValue) => void): void {
    this.writeListeners.add(listener);
  }

  setResolver(resolver: (line: number) => GpioValue | undefined): void {
    this.resolver = resolver;
  }

  private drive(line: number, value: GpioValue): void {
    const state = this.state(line);
    const before = state.level;
    state.level = value;
    if (before === value) return;
    const fire = state.edge === 'both' || (state.edge === 'rising' && value === 1) || (state.edge === 'falling' && value === 0);
    if (fire) for (const w of [...state.watchers]) w(value);
  }

  private state(line: number): SimLineState {
    let s = this.lines.get(line);
    if (!s) {
      s = { level: 1, direction: 'in', edge: 'none', watchers: new Set(), exported: false };
      this.lines.set(line, s);
    }
    return s;
  }
}
