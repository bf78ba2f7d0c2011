import t, { type Test } from 'tap';
import { fitsTerminal, renderTui, settle, type TuiApp } from '../../fakes/tui-app.js';
import { hourBars } from '../../../runtime/tui/usage-view.js';
import { DiagnosticShell } from '../../../runtime/tui/diagnostic-shell.js';
import { StationError } from '../../../runtime/kernel/errors.js';
import type { SessionAnalyticsEvent, StepVisit } from '../../../runtime/analytics/events.js';
import { addDays, addSession, emptyDay, localDay, localMidnight, type DayAggregate } from '../../../runtime/analytics/report/aggregate.js';
import { startFakeDaemon, type FakeDaemon } from '../../fakes/technician-daemon.js';

interface Ui extends TuiApp {
  daemon: FakeDaemon;
}

/** A session `startMin` minutes after local midnight of `day`, lasting `seconds`. */
function session(day: string, service: string, startMin: number, seconds: number, outcome: SessionAnalyticsEvent['outcome'], more: Partial<SessionAnalyticsEvent> = {}): SessionAnalyticsEvent {
  const startedAt = localMidnight(day) + startMin * 60_000;
  const steps: StepVisit[] = more.steps ?? [{ stepId: 'menu', kind: 'menu', enteredAt: startedAt, durationMs: seconds * 1000, outcome: 'ok' }];
  return {
    sessionId: `s-${service}-${startMin}`, service, flowVersion: 1, startedAt, endedAt: startedAt + seconds * 1000, outcome,
    lastStep: steps.at(-1)!.stepId, locale: 'vi', ...more, steps,
  };
}

function dayOf(day: string, events: SessionAnalyticsEvent[]): DayAggregate {
  const d = emptyDay(day);
  for (const e of events) addSession(d, e);
  return d;
}

const failedAt = (stepId: string, at: number): StepVisit[] => [{ stepId, kind: 'measure', enteredAt: at, durationMs: 20_000, outcome: 'error' }];

async function start(t: Test): Promise<Ui> {
  const daemon = await startFakeDaemon();
  const today = localDay(daemon.clock.now());
  const earlier = addDays(today, -3);
  daemon.analytics.days = [
    // Outside the week: must count in neither range.
    dayOf(addDays(today, -10), [session(addDays(today, -10), 'health-check', 600, 100, 'completed'), session(addDays(today, -10), 'health-check', 610, 100, 'completed')]),
    dayOf(earlier, [
      session(earlier, 'dossier-lookup', 14 * 60, 60, 'completed', { feedback: { rating: 3 } }),
      session(earlier, 'dossier-lookup', 14 * 60 + 5, 60, 'completed', { feedback: { rating: null } }),
      session(earlier, 'dossier-lookup', 15 * 60, 30, 'failed', { failureCause: 'input' }),
      session(earlier, 'health-check', 16 * 60, 40, 'failed', { failureCause: 'device', steps: failedAt('measure-bp', localMidnight(earlier) + 16 * 3_600_000) }),
    ]),
    dayOf(today, [
      session(today, 'health-check', 7 * 60, 90, 'completed', { beneficiary: { ageBand: '60-74', sex: 'female' }, feedback: { rating: 5 } }),
      session(today, 'health-check', 7 * 60 + 10, 150, 'completed', { feedback: { rating: 4 } }),
      session(today, 'health-check', 7 * 60 + 20, 40, 'failed', { failureCause: 'device', steps: failedAt('measure-spo2', localMidnight(today) + 7 * 3_600_000) }),
      session(today, 'bill-payment', 8 * 60, 30, 'abandoned'),
      session(today, 'bill-payment', 8 * 60 + 5, 45, 'failed', { failureCause: 'central' }),
    ]),
  ];
  daemon.analytics.lastSentDay = addDays(today, -1);
  const client = await daemon.client();
  const shell = new DiagnosticShell({ spawn: () => { throw new Error('no shell in this test'); } });
  const app = await renderTui(t, { client, clock: daemon.clock, shell, initialView: 'usage', close: () => daemon.close() });
  return { ...app, daemon };
}

t.test('hour bars: a dot for no session, a block scaled to the busiest hour', async (t) => {
  t.equal(hourBars([0, 1, 2, 8, 0]), '.▁▂█.');
  t.equal(hourBars([0, 0]), '..');
});

t.test("usage shows today's figures, then the week's after t, within 80x24", async (t) => {
  const ui = await start(t);
  const today = localDay(ui.daemon.clock.now());
  let f = await ui.until(/Sessions 5 /);
  fitsTerminal(t, f);
  t.match(f, /\[9 Usage\]/, 'the ninth view, bracketed');
  t.match(f, /t today\/week \| 1-9\/Tab views {2}q quit/);
  t.match(f, new RegExp(`Showing: \\[TODAY\\] week {4}${today}`));
  t.match(f, /Sessions 5 {3}completed 2 {3}abandoned 1 {3}with CCCD scanned 1/);
  t.match(f, /Failed {3}by device 1 {3}by central 1 {3}by input 0/);
  t.match(f, /By hour {2}\|\.{7}█▆\.{15}\| {2}busiest 07h: 3/, 'three sessions at 07h, two at 08h');
  t.match(f, / {2}SERVICE +SESS +DONE% +MEDIAN +MEAN +RATING\n/);
  t.match(f, /Kiểm tra sức khỏe +3 +67% +\S+ +2m00s +4\.5\n/, 'health check: 2 of 3 completed, mean of 90 s and 150 s, rated 5 and 4');
  t.match(f, /Thanh toán hóa đơn +2 +0% +- +- +-\n/, 'no completed bill payment: no duration, no rating');
  t.notMatch(f, /Tra cứu hồ sơ/, 'a service used only earlier in the week is not in today');
  t.match(f, /Device failures by step\n {2}measure-spo2 +1\n/);
  t.match(f, new RegExp(`Last day sent to central: ${addDays(today, -1)}`));

  await ui.press('t');
  f = await ui.until(/Sessions 9 /);
  fitsTerminal(t, f);
  t.match(f, new RegExp(`Showing: today \\[WEEK\\] {4}${addDays(today, -6)} \\.\\. ${today}`));
  t.match(f, /Sessions 9 {3}completed 4 {3}abandoned 1 {3}with CCCD scanned 1/, 'the day ten days back is not counted');
  t.match(f, /Failed {3}by device 2 {3}by central 1 {3}by input 1/);
  t.match(f, /\|\.{7}█▆\.{5}▆▃▃\.{7}\|/, 'afternoon sessions of the earlier day added');
  t.match(f, /Kiểm tra sức khỏe +4 +50% .* 4\.5\n/);
  t.match(f, /Tra cứu hồ sơ +3 +67% +\S+ +1m00s +3\.0\n/, 'one answer of 3; the unanswered ask does not lower the mean');
  t.match(f, /measure-bp +1\n/);
  t.match(f, /measure-spo2 +1\n/);

  await ui.press('t');
  t.match(await ui.until(/Sessions 5 /), /Showing: \[TODAY\] week/, 't goes back to today');
});

t.test('usage follows the poll and shows the daemon error envelope', async (t) => {
  const ui = await start(t);
  await ui.until(/Sessions 5 /);
  const today = localDay(ui.daemon.clock.now());
  addSession(ui.daemon.analytics.days.at(-1)!, session(today, 'emergency', 8 * 60 + 30, 20, 'completed'));
  await ui.daemon.clock.advance(2000);
  await settle();
  let f = await ui.until(/Sessions 6 /);
  t.match(f, /Sessions 6 {3}completed 3 /, 'refreshed on the poll');
  t.match(f, /Gọi khẩn cấp +1 +100% /);

  ui.daemon.analytics.failure = new StationError('NOT_RUNNING', 'analytics is not running');
  await ui.daemon.clock.advance(2000);
  await settle();
  f = await ui.until(/cannot load usage/);
  fitsTerminal(t, f);
  t.match(f, /cannot load usage: NOT_RUNNING: analytics is not running/);

  ui.daemon.analytics.failure = undefined;
  await ui.daemon.clock.advance(2000);
  await settle();
  t.notMatch(await ui.until(/^(?![\s\S]*cannot load usage)/), /cannot load usage/, 'the error line goes once the daemon answers');
});

t.test('many services and failing steps: the rest is counted, the last-sent line stays on screen', async (t) => {
  const ui = await start(t);
  await ui.until(/Sessions 5 /);
  const today = localDay(ui.daemon.clock.now());
  const busy = ui.daemon.analytics.days.at(-1)!;
  const services = ['dossier-lookup', 'dossier-submission', 'security-report', 'emergency', 'bhyt-registration', 'telehealth-appointment', 'feedback', 'parcel-pickup'];
  services.forEach((service, i) => addSession(busy, session(today, service, 6 * 60 + i, 30, 'completed')));
  ['measure-temp', 'measure-weight', 'measure-bp', 'print-receipt'].forEach((step, i) =>
    addSession(busy, session(today, 'health-check', 5 * 60 + i, 30, 'failed', { failureCause: 'device', steps: failedAt(step, localMidnight(today) + 5 * 3_600_000) })),
  );
  await ui.daemon.clock.advance(2000);
  await settle();
  const f = await ui.until(/Sessions 17 /);
  fitsTerminal(t, f);
  t.match(f, /\+3 more service\(s\)/, '10 services, 7 shown, the rest counted');
  t.match(f, /\+3 more step\(s\)/, '5 failing steps, 2 shown, the rest counted');
  t.match(f, /Last day sent to central: /);
});
