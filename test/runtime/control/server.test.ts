import t, { type Test } from 'tap';
import { connect } from 'node:net';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ControlSocket } from '../../../runtime/control/server.js';
import { ControlClient } from '../../../runtime/control/client.js';
import { StationError } from '../../../runtime/kernel/errors.js';

const logger = pino({ level: 'silent' });

async function withServer(t: Test, maxLineBytes = 4096) {
  const dir = mkdtempSync(join(tmpdir(), 'ctl-'));
  const path = join(dir, 'run', 'control.sock');
  const server = new ControlSocket({ path, mode: '0660', maxLineBytes, logger });
  let maintenance = false;
  server.handle('maintenance.set', (params) => {
    if (typeof params.on !== 'boolean') throw new StationError('CONTROL_BAD_PARAMS', '"on" must be true or false');
    maintenance = params.on;
    return { on: maintenance };
  });
  server.handle('status', () => {
    throw new Error('boom');
  });
  server.handle('logs.subscribe', (_params, ctx) => {
    const timer = setInterval(() => ctx.push('log', { level: 'info', time: 'now', msg: 'tick' }), 5);
    ctx.onClose(() => clearInterval(timer));
    return { subscribed: true as const };
  });
  await server.start();
  t.teardown(() => server.stop());
  return { server, path };
}

/** Sends raw lines and collects the reply lines. */
function raw(path: string, text: string, expected: number): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    const out: any[] = [];
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        out.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
      if (out.length >= expected) {
        s.destroy();
        resolve(out);
      }
    });
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.write(text);
  });
}

t.test('socket is created with mode 0660', async (t) => {
  const { path } = await withServer(t);
  t.equal(statSync(path).mode & 0o777, 0o660);
});

t.test('envelopes for valid calls, handler errors and unknown methods', async (t) => {
  const { path } = await withServer(t);
  const client = new ControlClient(path);
  await client.connect();
  t.teardown(() => client.close());
  t.same(await client.call('maintenance.set', { on: true }), { id: '1', ok: true, data: { on: true } });
  t.same(await client.call('maintenance.set', { on: 'yes' } as never), { id: '2', ok: false, error: { code: 'CONTROL_BAD_PARAMS', message: '"on" must be true or false' } });
  const boom = await client.call('status');
  t.same(boom, { id: '3', ok: false, error: { code: 'INTERNAL', message: 'boom' } });
  const unknown = await client.call('reboot.now');
  t.equal(unknown.ok, false);
  if (!unknown.ok) {
    t.equal(unknown.error.code, 'CONTROL_UNKNOWN_METHOD');
    t.match(unknown.error.message, /unknown method "reboot.now"; known: logs.subscribe, maintenance.set, status/);
  }
});

t.test('malformed lines get error envelopes and the daemon keeps serving', async (t) => {
  const { path } = await withServer(t);
  const lines = [
    'not json',
    '[1,2,3]',
    '{"method":"status"}',
    '{"id":{},"method":"status"}',
    '{"id":7}',
    '{"id":8,"method":""}',
    '{"id":9,"method":"maintenance.set","params":[true]}',
    '{"id":10,"method":"maintenance.set","params":{"on":false}}',
  ];
  const replies = await raw(path, lines.join('\n') + '\n', lines.length);
  t.equal(replies.length, lines.length, 'one reply per line');
  const byId = (id: unknown) => replies.find((r) => r.id === id);
  t.same(replies.filter((r) => r.id === null).map((r) => r.error.code), ['CONTROL_BAD_REQUEST', 'CONTROL_BAD_REQUEST', 'CONTROL_BAD_REQUEST', 'CONTROL_BAD_REQUEST']);
  t.equal(byId(7).error.code, 'CONTROL_BAD_REQUEST');
  t.match(byId(7).error.message, /method/);
  t.equal(byId(8).error.code, 'CONTROL_BAD_REQUEST');
  t.equal(byId(9).error.code, 'CONTROL_BAD_PARAMS');
  t.same(byId(10), { id: 10, ok: true, data: { on: false } });
});

t.test('an oversized line is refused and the connection closed', async (t) => {
  const { path } = await withServer(t, 1024);
  const replies = await raw(path, 'x'.repeat(5000), 1);
  t.equal(replies[0].error.code, 'CONTROL_LINE_TOO_LONG');
  const client = new ControlClient(path);
  await client.connect();
  t.teardown(() => client.close());
  t.equal((await client.call('maintenance.set', { on: true })).ok, true, 'server still answers');
});

t.test('subscriptions push events until the client leaves', async (t) => {
  const { path } = await withServer(t);
  const client = new ControlClient(path);
  await client.connect();
  const got: unknown[] = [];
  const twoEvents = new Promise<void>((resolve) =>
    client.onEvent((event, data) => {
      got.push({ event, data });
      if (got.length === 2) resolve();
    }),
  );
  t.same(await client.call('logs.subscribe', {}), { id: '1', ok: true, data: { subscribed: true } });
  await twoEvents;
  t.same(got[0], { event: 'log', data: { level: 'info', time: 'now', msg: 'tick' } });
  client.close();
});

t.test('client says DAEMON_UNREACHABLE when nothing listens', async (t) => {
  const client = new ControlClient(join(mkdtempSync(join(tmpdir(), 'ctl-')), 'none.sock'));
  await t.rejects(client.connect(), { code: 'DAEMON_UNREACHABLE' });
});
