import type { Screen, ScreenFeed } from '../../runtime/flows/screen-model.js';
import type { InputEvent, InputSink } from '../../runtime/kernel/input.js';

/** A ScreenFeed a test drives by hand: `show` makes a Screen current and tells every subscriber. */
export class ScriptedScreenFeed implements ScreenFeed {
  private screen: Screen;
  private readonly listeners = new Set<(screen: Screen) => void>();

  constructor(first: Screen) {
    this.screen = first;
  }

  current(): Screen {
    return this.screen;
  }

  subscribe(listener: (screen: Screen) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  show(screen: Screen): void {
    this.screen = screen;
    for (const listener of this.listeners) listener(screen);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }
}

/** An InputSink that records what arrived and lets a test wait for the n-th event. */
export class RecordingInputSink implements InputSink {
  readonly events: InputEvent[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];
  onInput: ((event: InputEvent) => void) | undefined;

  input(event: InputEvent): void {
    this.events.push(event);
    this.onInput?.(event);
    this.waiters = this.waiters.filter((w) => {
      if (this.events.length < w.count) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `count` events in total have arrived. */
  waitFor(count: number): Promise<void> {
    if (this.events.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}
