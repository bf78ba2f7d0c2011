/**
 * Optional spoken prompts for residents who read with difficulty: each new screen's title, its
 * instructions and its choices ("Phím 1, Khám sức khỏe"), spoken by espeak-ng in the screen's
 * language. Off unless `display.voice` is set in config.
 *
 * Nothing a resident typed or measured is ever spoken: the station stands in a lobby, so result
 * rows, input fields and payment details stay on the screen only. A screen that only updates its
 * progress or countdown is not spoken again, and a new prompt cuts the previous one short.
 */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { Logger } from '../kernel/logger.js';
import type { Screen, ScreenFeed } from '../flows/screen-model.js';

/** The part of a child process the prompts use; `node:child_process` spawn satisfies it. */
export interface SpeechProcess {
  readonly stdin: Writable | null;
  kill(signal?: NodeJS.Signals): boolean;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

export type SpawnSpeech = (command: string, args: readonly string[]) => SpeechProcess;

/** The real speech program: text on stdin, nothing read back (its output would only fill a pipe). */
export const spawnSpeech: SpawnSpeech = (command, args) => spawn(command, args, { stdio: ['pipe', 'ignore', 'ignore'] });

export interface VoicePromptsOptions {
  feed: ScreenFeed;
  /** Starts the speech program: {@link spawnSpeech} on the station, a fake in tests. */
  spawn: SpawnSpeech;
  logger: Logger;
  /** Speak at all. Default false. */
  enabled?: boolean;
  /** Default `espeak-ng`. */
  command?: string;
  /** Words per minute; slower than espeak-ng's 175 so older residents can follow. Default 140. */
  wordsPerMinute?: number;
}

/** What is said for a screen; undefined when there is nothing worth saying. */
export function promptFor(screen: Screen): string | undefined {
  const keyWord = screen.locale === 'vi' ? 'Phím' : 'Key';
  const parts = [screen.title, ...(screen.body ?? []), ...(screen.options ?? []).map((o) => `${keyWord} ${o.key}, ${o.label}`)];
  const text = parts.map((p) => p.trim()).filter((p) => p.length > 0).map((p) => (/[.!?\u2026:]$/.test(p) ? p : `${p}.`)).join(' ');
  return text.length > 0 ? text : undefined;
}

/** Progress and countdown updates keep the same step; only a new step or new wording is spoken. */
function identity(screen: Screen): string {
  return JSON.stringify([screen.kind, screen.flowId, screen.stepId, screen.locale, screen.title, screen.body, screen.options]);
}

export class VoicePrompts {
  readonly name = 'voice';
  readonly optional = true;
  private unsubscribe: (() => void) | undefined;
  private speaking: SpeechProcess | undefined;
  private lastIdentity: string | undefined;
  private unavailable = false;

  constructor(private readonly options: VoicePromptsOptions) {}

  async start(): Promise<void> {
    if (!this.options.enabled || this.unsubscribe) return;
    // The screen showing at start has no one in front of it yet; remember it so it is not spoken.
    this.lastIdentity = identity(this.options.feed.current());
    this.unsubscribe = this.options.feed.subscribe((screen) => this.onScreen(screen));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.silence();
  }

  private onScreen(screen: Screen): void {
    const id = identity(screen);
    if (id === this.lastIdentity) return;
    this.lastIdentity = id;
    this.silence();
    const text = promptFor(screen);
    if (text === undefined || this.unavailable) return;
    this.speak(text, screen.locale);
  }

  private speak(text: string, locale: Screen['locale']): void {
    const { command = 'espeak-ng', wordsPerMinute = 140, logger } = this.options;
    // Text goes through stdin, never argv: a prompt starting with "-" must not become an option.
    const args = ['-v', locale, '-s', String(wordsPerMinute), '--stdin'];
    let child: SpeechProcess;
    try {
      child = this.options.spawn(command, args);
    } catch (err) {
      this.giveUp(err as Error);
      return;
    }
    this.speaking = child;
    child.on('error', (err) => this.giveUp(err));
    child.on('exit', () => {
      if (this.speaking === child) this.speaking = undefined;
    });
    child.stdin?.on('error', (err) => logger.debug({ err: err.message }, 'speech input closed early'));
    child.stdin?.end(text);
  }

  private giveUp(err: Error): void {
    if (this.unavailable) return;
    this.unavailable = true;
    this.speaking = undefined;
    this.options.logger.warn({ err: err.message, command: this.options.command ?? 'espeak-ng' }, 'voice prompts unavailable; the screen still shows everything');
  }

  private silence(): void {
    this.speaking?.kill('SIGTERM');
    this.speaking = undefined;
  }
}
