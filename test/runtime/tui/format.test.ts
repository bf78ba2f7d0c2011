import t from 'tap';
import fc from 'fast-check';
import type { Key } from 'ink';
import { splitKeys } from '../../../runtime/tui/keys.js';
import {
  changedPaths, clip, filterLogs, formatDuration, formatLogLine, gauge, healthMarker, padEnd, setAtPointer, sparkline, timeOfDay,
} from '../../../runtime/tui/format.js';

t.test('sparkline scales to its own range and averages down to the width', async (t) => {
  t.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8), '▁▂▃▄▅▆▇█');
  t.equal(sparkline([5, 5, 5], 3), '▄▄▄', 'flat signal sits mid-height');
  t.equal(sparkline([0, 0, 10, 10], 2), '▁█', 'pairs averaged');
  t.equal(sparkline([], 10), '');
  fc.assert(
    fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 80 }), (values, width) => {
      const line = sparkline(values, width);
      return [...line].length === Math.min(values.length, width) && /^[▁▂▃▄▅▆▇█]+$/.test(line);
    }),
    { numRuns: 200 },
  );
});

t.test('durations, gauges, markers and clipping read without colour', async (t) => {
  t.equal(formatDuration(125), '2m05s');
  t.equal(formatDuration(7380), '2h03m');
  t.equal(formatDuration(90000), '1d01h');
  t.equal(formatDuration(null), '-');
  t.equal(gauge(150, 300, 12), '[#####.....]');
  t.equal(gauge(999, 300, 6), '[####]', 'clamped');
  t.same(['ok', 'degraded', 'missing', 'disabled', 'starting'].map(healthMarker), ['[ OK ]', '[WARN]', '[FAIL]', '[ -- ]', '[ .. ]']);
  t.equal(clip('Trạm công dân số', 6), 'Trạm ~');
  t.equal(padEnd('ab', 4), 'ab  ');
  t.equal(timeOfDay(Date.UTC(2026, 10, 25, 2, 0, 0)), '09:00:00', 'Ho Chi Minh City time');
});

t.test('logs filter by level and component', async (t) => {
  const lines = [
    { level: 'debug', time: '2026-11-25T02:00:00.000Z', component: 'link', msg: 'a' },
    { level: 'warn', time: '2026-11-25T02:00:01.000Z', component: 'link', msg: 'b' },
    { level: 'error', time: '2026-11-25T02:00:02.000Z', component: 'outbox', msg: 'c' },
  ];
  t.same(filterLogs(lines, 'warn', '').map((l) => l.msg), ['b', 'c']);
  t.same(filterLogs(lines, 'trace', 'link').map((l) => l.msg), ['a', 'b']);
  t.equal(formatLogLine(lines[2]!), '09:00:02 ERROR outbox: c', 'in the zone of the header clock (UTC+7), not UTC');
});

t.test('setAtPointer edits a copy; changedPaths names what differs', async (t) => {
  const doc = { telemetry: { intervalS: 60 }, mqtt: { url: 'a' } };
  const next = setAtPointer(doc, '/telemetry/intervalS', '30');
  t.same(next, { telemetry: { intervalS: 30 }, mqtt: { url: 'a' } });
  t.equal(doc.telemetry.intervalS, 60, 'original untouched');
  t.same(setAtPointer(doc, '/mqtt/url', 'mqtts://x'), { telemetry: { intervalS: 60 }, mqtt: { url: 'mqtts://x' } }, 'not JSON: taken as a string');
  t.same(setAtPointer({}, '/a~1b/c', 'true'), { 'a/b': { c: true } }, 'RFC 6901 escapes; objects created');
  t.throws(() => setAtPointer(doc, 'telemetry', '1'), /must start with \//);
  t.throws(() => setAtPointer(doc, '/mqtt/url/x', '1'), /url is not an object/);
  t.same(changedPaths(doc, setAtPointer(next, '/mqtt/url', '"b"')), ['/mqtt/url', '/telemetry/intervalS']);
  t.same(changedPaths(doc, structuredClone(doc)), []);
});

t.test('splitKeys turns a chunk of keys into single keys', async (t) => {
  const none = splitKeys('x', { return: false } as Key)[0]!;
  t.same(none, { input: 'x', key: { return: false } }, 'a single key passes through');
  const keys = splitKeys('aB\r3\u007f\u0003', { return: false } as Key);
  t.same(keys.map((k) => k.input), ['a', 'B', '', '3', '', 'c']);
  t.same(keys.map((k) => [k.key.return, k.key.delete, k.key.ctrl, k.key.shift]), [
    [false, false, false, false], [false, false, false, true], [true, false, false, false],
    [false, false, false, false], [false, true, false, false], [false, false, true, false],
  ]);
  t.same(splitKeys('đạ', { return: false } as Key).map((k) => k.input), ['đ', 'ạ'], 'by code point, Vietnamese intact');
});
