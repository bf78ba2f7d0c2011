/**
 * What the technician UI uses of the control client: calls and pushed events. The UI depends on
 * this shape only, so tests run it against an in-process control socket.
 */
import type { Key } from 'ink';
import type { ControlClient } from '../control/client.js';
import type { Clock } from '../kernel/clock.js';

export type StationClient = Pick<ControlClient, 'call' | 'onEvent'> & {
  /** Present on a client that reconnects (ReconnectingClient): called after each new connection. */
  onReconnect?(listener: () => void): () => void;
};

/** Everything a view receives from the application frame. */
export interface ViewContext {
  client: StationClient;
  clock: Clock;
  /** Counts connections to the daemon; views that subscribe renew their subscriptions when it changes. */
  connection: number;
  /** The technician's login name, carried into every audited action. */
  operator: string;
  /** Shows one line on the message row: `ok` (OK:), `error` (ERROR:) or `info`. */
  notify(kind: 'ok' | 'error' | 'info', text: string): void;
  /** While true the view receives every key (typing, the board-tools pane); global keys pause. */
  setCapture(capture: boolean): void;
  /** True from the key that opened a field until it closes, even before the next render. */
  capturing(): boolean;
  /** Keeps a key that came after a field opened but before the field listens. */
  keepTypedAhead(input: string, key: Key): void;
  /** Hands the kept keys to the field that now listens. */
  takeTypedAhead(): TypedKey[];
}

/** A key as Ink reports it. */
export interface TypedKey {
  input: string;
  key: Key;
}
