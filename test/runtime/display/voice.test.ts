// Voice prompts with an injected spawn: what is said, in which voice, through stdin; not for
// progress updates; never a resident's values; cut short by the next screen; off by default.
import t from 'tap';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { VoicePrompts, promptFor, spawnSpeech, type SpeechProcess, type SpawnSpeech } from '../../../runtime/display/voice.js';
import { ScriptedScreenFeed } from '../../fakes/screen-feed.js';
import { sampleScreens } from '../../fakes/screens.js';

class FakeSpeech extends EventEmitter implements SpeechProcess {
  readonly stdin = new PassThrough();
  text = '';
  killed: NodeJS.Signals | undefined;
  constructor(readonly command: string, readonly args: readonly string[]) {
    super();
    this.stdin.on('data', (c: Buffer) => (this.text += c.toString('utf8')));
  }
  kill(signal?: NodeJS.Signals): boolean {
    this.killed = signal ?? 'SIGTERM';
    return true;
  }
}

function setup(enabled = true) {
  const spawned: FakeSpeech[] = [];
  const spawn: SpawnSpeech = (command, args) => {
    const child = new FakeSpeech(command, args);
    spawned.push(child);
    return child;
  };
  const feed = new ScriptedScreenFeed(sampleScreens.home!);
  const voice = new VoicePrompts({ feed, spawn, logger: pino({ level: 'silent' }), enabled });
  return { spawned, feed, voice };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

t.test('speaks each new screen in Vietnamese through espeak-ng stdin', async (t) => {
  const { spawned, feed, voice } = setup();
  await voice.start();
  t.equal(spawned.length, 0, 'the screen at start is not spoken');
  feed.show(sampleScreens.error!);
  await flush();
  t.equal(spawned.length, 1);
  t.equal(spawned[0]!.command, 'espeak-ng');
  t.same(spawned[0]!.args, ['-v', 'vi', '-s', '140', '--stdin']);
  t.equal(spawned[0]!.text, 'Chưa đo được huyết áp. Vòng bít bị lỏng. Quấn lại vòng bít sát tay rồi nhấn OK để đo lại.');
  feed.show(sampleScreens.home!);
  await flush();
  t.equal(spawned[0]!.killed, 'SIGTERM', 'the previous prompt is cut short');
  t.match(spawned[1]!.text, 'Phím 1, Khám sức khỏe. Phím 2, Thanh toán hóa đơn.');
  await voice.stop();
  t.equal(spawned[1]!.killed, 'SIGTERM', 'stop silences');
  feed.show(sampleScreens.error!);
  t.equal(spawned.length, 2, 'nothing after stop');
});

t.test('progress updates of the same step are not spoken again', async (t) => {
  const { spawned, feed, voice } = setup();
  await voice.start();
  const bp = sampleScreens.measureBp!;
  for (const value of [60, 90, 120]) feed.show({ ...bp, progress: { ...bp.progress!, value, fraction: value / 200 } });
  await flush();
  t.equal(spawned.length, 1);
  t.equal(spawned[0]!.killed, undefined);
});

t.test('never speaks measured values, typed digits or payment details', async (t) => {
  for (const screen of [sampleScreens.result!, sampleScreens.identity!, sampleScreens.pay!, sampleScreens.measureBp!]) {
    const text = promptFor(screen) ?? '';
    for (const secret of ['148/95', '97', '079', '186', 'HD2611', '142']) t.notMatch(text, secret, `${screen.stepId}: no "${secret}"`);
  }
  t.equal(promptFor({ kind: 'info', locale: 'en', title: ' ', keys: [] }), undefined);
  t.equal(promptFor({ kind: 'menu', locale: 'en', title: 'Menu', options: [{ key: '1', label: 'Health check' }], keys: [] }), 'Menu. Key 1, Health check.');
});

t.test('off by default; a missing espeak-ng disables voice once, with one warning', async (t) => {
  const off = setup(false);
  const quiet = new VoicePrompts({ feed: off.feed, spawn: () => { throw new Error('no'); }, logger: pino({ level: 'silent' }) });
  await quiet.start();
  off.feed.show(sampleScreens.error!);
  t.equal(off.feed.subscriberCount, 0, 'not even subscribed');

  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
  const feed = new ScriptedScreenFeed(sampleScreens.home!);
  let calls = 0;
  const spawn: SpawnSpeech = (command, args) => {
    calls += 1;
    const child = new FakeSpeech(command, args);
    setImmediate(() => child.emit('error', Object.assign(new Error('spawn espeak-ng ENOENT'), { code: 'ENOENT' })));
    return child;
  };
  const voice = new VoicePrompts({ feed, spawn, logger, enabled: true });
  await voice.start();
  feed.show(sampleScreens.error!);
  await flush();
  feed.show(sampleScreens.pay!);
  feed.show(sampleScreens.home!);
  await flush();
  t.equal(calls, 1, 'not retried on every screen');
  t.equal(lines.length, 1);
  t.match(JSON.parse(lines[0]!).msg, 'voice prompts unavailable');
  await voice.stop();
});

t.test('the real spawn feeds the text to the program on stdin', async (t) => {
  // `cat` stands in for espeak-ng: it exits once stdin ends, proving the prompt was written and closed.
  const child = spawnSpeech('cat', []);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdin?.end('Xin chào.');
  t.equal(await exited, 0);
  const missing = spawnSpeech('/nonexistent/espeak-ng', []);
  const err = await new Promise<Error>((resolve) => missing.on('error', resolve));
  t.match(err.message, 'ENOENT');
});
