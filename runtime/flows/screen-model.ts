/**
 * What the resident's display renders. The flow engine produces a Screen; the display page draws it
 * and sends back InputEvents (runtime/kernel/input.ts). No HTML here, and nothing the page needs to keep:
 * each Screen is complete. Texts are already in the session's language (vi first, en second).
 */
import type { Key } from '../kernel/input.js';

/**
 * How the flow engine (runtime/flows/engine.ts renderScreen) uses the kinds:
 * - `lookup` is every "please wait" screen of a working step (lookup, submit, print): `progress.label`
 *   says what is happening; no options.
 * - `emergency` is every screen of the emergency flow (hotlines in `body[0]`); `tone` is `danger` on results.
 * - `error` is the built-in failure screen (`errorCode` set, body ends with the automatic return note);
 *   `end` is a flow's last screen and also the built-in "ended, nothing sent" screen.
 * - `idle-warning` carries `countdown` (seconds, updated every second); `pay` carries `qr` and `countdown`.
 * - `out-of-service` is shown by runtime/flows/service.ts before the flows have started.
 * - When Help is pressed, the same kind is kept and `body` is replaced by the help text, `keys` by Back/Home.
 */
export type ScreenKind =
  | 'home' | 'menu' | 'info' | 'input' | 'identity' | 'consent' | 'measure' | 'lookup' | 'confirm'
  | 'pay' | 'result' | 'error' | 'end' | 'idle-warning' | 'maintenance' | 'out-of-service' | 'emergency';

export type Tone = 'neutral' | 'good' | 'caution' | 'warning' | 'danger';

export interface ScreenOption {
  /** The keypad key that chooses this option; touch sends the same key. */
  key: Key;
  label: string;
  /** Optional short line under the label. */
  hint?: string;
}

export interface ScreenInput {
  /** Display mask, e.g. `____ ____ ____` for 12 digits; `#` marks a typed position. */
  mask?: string;
  /** What the resident has typed so far, already masked where it is personal (CCCD). */
  value: string;
  /** Maximum characters accepted. */
  maxLength: number;
  /** `digits` only for CCCD, customer codes, phone; `code` allows letters, dots and dashes. */
  charset: 'digits' | 'code';
  placeholder?: string;
}

export interface ScreenProgress {
  /** 0..1 when known. */
  fraction?: number;
  /** e.g. cuff pressure in mmHg, seconds left on the finger sensor, settling weight. */
  value?: number;
  unit?: string;
  label: string;
}

export interface ResultRow {
  label: string;
  value: string;
  unit?: string;
  /** Colour band for the classification (green / amber / red). */
  tone?: Tone;
  /** Band name in plain words, e.g. "Bình thường", "Tăng huyết áp độ 1". */
  band?: string;
}

export interface ScreenQr {
  /** The payload the QR encodes (VietQR EMVCo string). */
  payload: string;
  /** Amount in VND, shown large beside the code. */
  amount?: number;
  reference?: string;
}

export interface Screen {
  kind: ScreenKind;
  /** Which flow and step produced it, for the technician mirror and tests. */
  flowId?: string;
  stepId?: string;
  /** `vi` or `en`. */
  locale: 'vi' | 'en';
  title: string;
  /** Plain paragraphs. */
  body?: string[];
  options?: ScreenOption[];
  input?: ScreenInput;
  progress?: ScreenProgress;
  rows?: ResultRow[];
  qr?: ScreenQr;
  /** The page just scanned (scan step), a small `data:image/jpeg` URL; this resident's only, gone with the session. */
  preview?: string;
  /** Seconds left on a visible countdown (payment waiting, idle warning). */
  countdown?: number;
  /** Overall tone (error screens are `danger`). */
  tone?: Tone;
  /** Error code from runtime/kernel/errors.ts when kind is `error`. */
  errorCode?: string;
  /** Help text for the current screen, shown by the Help key. */
  help?: string;
  /** What the function keys do on this screen: always includes home and back where they apply. */
  keys: { key: Key; label: string }[];
  /** Banners drawn over any screen. */
  banners?: { offline?: boolean; maintenance?: boolean };
}

/** The current screen and its changes; the flow engine's session provides it, the display consumes it. */
export interface ScreenFeed {
  current(): Screen;
  /** Calls `listener` on every new screen; returns the unsubscribe function. */
  subscribe(listener: (screen: Screen) => void): () => void;
}
