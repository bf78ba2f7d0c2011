import t from 'tap';
import { SystemdNotifier } from '../../../runtime/platform/sd-notify.js';
import { ManualClock } from '../../fakes/manual-clock.js';

t.test('WATCHDOG=1 every half period only while healthy; READY and STOPPING once', async (t) => {
  const clock = new ManualClock();
  const sent: string[] = [];
  let healthy = true;
  const notifier = new SystemdNotifier({ send: (m) => sent.push(m), clock, watchdogUsec: 2_000_000, isHealthy: () => healthy });
  notifier.ready('station ready');
  t.same(sent, ['READY=1\nSTATUS=station ready']);
  await clock.advance(999);
  t.equal(sent.length, 1, 'nothing before half the watchdog period');
  await clock.advance(1);
  t.same(sent.slice(1), ['WATCHDOG=1']);
  healthy = false;
  await clock.advance(3000);
  t.equal(sent.filter((m) => m === 'WATCHDOG=1').length, 1, 'no ping while the station is unhealthy, so systemd restarts it');
  healthy = true;
  await clock.advance(1000);
  t.equal(sent.filter((m) => m === 'WATCHDOG=1').length, 2, 'pings resume once healthy');
  notifier.stopping();
  await clock.advance(10_000);
  t.equal(sent.at(-1), 'STOPPING=1');
  t.equal(sent.filter((m) => m === 'WATCHDOG=1').length, 2, 'no ping after STOPPING');
});

t.test('without WATCHDOG_USEC there are no pings', async (t) => {
  const clock = new ManualClock();
  const sent: string[] = [];
  new SystemdNotifier({ send: (m) => sent.push(m), clock, isHealthy: () => true }).ready();
  await clock.advance(60_000);
  t.same(sent, ['READY=1']);
  t.equal(clock.timerCount, 0);
});

t.test('a notify socket that is not reading: datagrams past the kernel queue are kept and all arrive, in order', async (t) => {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { unixDatagramSender } = await import('../../../runtime/platform/sd-notify.js');
  const { systemClock } = await import('../../../runtime/kernel/clock.js');
  const dir = mkdtempSync(join(tmpdir(), 'notify-'));
  const path = join(dir, 'notify.sock');
  // systemd's side in a process of its own, so it can be frozen like a busy PID 1.
  const receiver = spawn(process.execPath, ['-e', `
    const unix = require('unix-dgram');
    const s = unix.createSocket('unix_dgram', (buf) => process.stdout.write(buf.toString() + '\\n'));
    s.bind(${JSON.stringify(path)});
    process.stdout.write('bound\\n');
  `], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => receiver.kill('SIGKILL'));
  let received = '';
  receiver.stdout!.on('data', (d) => (received += d));
  while (!received.includes('bound')) await new Promise((r) => setTimeout(r, 10));

  const queueLength = Number(readFileSync('/proc/sys/net/unix/max_dgram_qlen', 'utf8'));
  const sender = unixDatagramSender(path, systemClock);
  receiver.kill('SIGSTOP');
  const messages = ['READY=1', ...Array.from({ length: queueLength + 5 }, (_, i) => `STATUS=ping ${i}`), 'STOPPING=1'];
  for (const m of messages) sender.send(m);
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(received.includes('STOPPING=1'), `the reader is frozen with ${queueLength} datagrams queued at most`);
  const closed = sender.close(5000);
  receiver.kill('SIGCONT');
  await closed;
  for (let i = 0; i < 100 && !received.includes('STOPPING=1'); i++) await new Promise((r) => setTimeout(r, 10));
  t.same(received.split('\n').filter((l) => l && l !== 'bound'), messages, 'every datagram arrived once, in order, STOPPING last');
});
