/**
 * What a resident can do: press a key on the 4x4 keypad (or its on-screen twin), touch an option,
 * or scan a CCCD. The flow engine consumes only these events.
 */
export const keys = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'ok', 'back', 'help', 'home'] as const;
export type Key = (typeof keys)[number];

export type InputEvent =
  | { type: 'key'; key: Key }
  /** A touch on an option; carries the key the option is bound to so keypad and touch are one path. */
  | { type: 'touch'; key: Key }
  /** Text typed on the on-screen field (digits only for CCCD and codes). */
  | { type: 'text'; text: string }
  /** The emergency key: works from any screen. */
  | { type: 'emergency' }
  /** A QR line from the CCCD scanner, already parsed by drivers/cccd-scanner. */
  | { type: 'scan'; text: string };

export function isKey(value: unknown): value is Key {
  return typeof value === 'string' && (keys as readonly string[]).includes(value);
}

/** Where the display and the keypad deliver what the resident did. */
export interface InputSink {
  input(event: InputEvent): void;
}
