import t from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import { InboundRefusals } from '../../../runtime/link/inbound-refusals.js';
import { ManualClock } from '../../fakes/manual-clock.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

t.test('every refusal is counted by topic and reason; each reason is logged once per interval', async (t) => {
  const clock = new ManualClock();
  const { lines, logger } = capture();
  const r = new InboundRefusals({ clock, logger, logIntervalMs: 60_000 });
  for (let i = 0; i < 1000; i++) r.count('configDesired', 'bad-signature');
  for (let i = 0; i < 10; i++) r.count('receipt', 'not-json');
  r.count('rpcResponse', 'no-pending-request', { service: 'bills' });
  await new Promise((resolve) => setImmediate(resolve));
  t.same(r.report(), { total: 1011, byTopic: { configDesired: { 'bad-signature': 1000 }, receipt: { 'not-json': 10 }, rpcResponse: { 'no-pending-request': 1 } } });
  t.equal(lines.length, 3, '1,011 refusals, 3 reasons: 3 log lines');
  t.match(lines[2], { topic: 'rpcResponse', reason: 'no-pending-request', service: 'bills' });
  await clock.advance(60_000);
  r.count('configDesired', 'bad-signature');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(lines.length, 4, 'after the interval one line sums up what followed');
  t.match(lines[3], { topic: 'configDesired', reason: 'bad-signature', since: 1000, total: 1001 });
});
