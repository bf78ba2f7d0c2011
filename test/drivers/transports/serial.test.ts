import t from 'tap';
import { createSimSerialLink } from '../../../drivers/transports/serial-sim.js';
import type { DeviceEmulator } from '../../../drivers/transports/serial-sim.js';
import { LineAssembler } from '../../../drivers/transports/serial.js';
import { flushMicrotasks } from '../../fakes/manual-clock.js';

/** Answers every host write with the bytes reversed. */
class ReversingEmulator implements DeviceEmulator {
  received: Buffer[] = [];
  private send: ((bytes: Uint8Array) => void) | undefined;
  attach(send: (bytes: Uint8Array) => void): void {
    this.send = send;
  }
  detach(): void {
    this.send = undefined;
  }
  receive(bytes: Buffer): void {
    this.received.push(bytes);
    this.send?.(Buffer.from(bytes).reverse());
  }
}

t.test('host bytes reach the emulator and its reply reaches the host', async (t) => {
  const emulator = new ReversingEmulator();
  const { link } = createSimSerialLink({ emulator });
  const got: Buffer[] = [];
  link.events.on('data', t, (b) => got.push(b));
  await link.open();
  await link.write(Uint8Array.from([1, 2, 3]));
  await flushMicrotasks();
  t.same([...emulator.received[0]!], [1, 2, 3]);
  t.same([...Buffer.concat(got)], [3, 2, 1]);
  await link.close();
  t.equal(link.isOpen, false);
});

t.test('unplug mid-frame closes as disconnected, reopen fails until replug', async (t) => {
  const emulator = new ReversingEmulator();
  const { link, port } = createSimSerialLink({ emulator });
  const closes: { disconnected: boolean }[] = [];
  const got: Buffer[] = [];
  link.events.on('close', t, (c) => closes.push(c));
  link.events.on('data', t, (b) => got.push(b));
  await link.open();
  port.unplugAfter(2);
  await link.write(Uint8Array.from([1, 2, 3, 4]));
  await flushMicrotasks();
  t.same([...Buffer.concat(got)], [4, 3], 'only the torn part arrived');
  t.equal(closes.length, 1);
  t.equal(closes[0]!.disconnected, true);
  t.equal(link.isOpen, false);
  await t.rejects(link.open(), { code: 'DEVICE_MISSING' });
  await t.rejects(link.write(Uint8Array.from([1])), { code: 'DEVICE_MISSING' });
  port.replug();
  await link.open();
  await link.write(Uint8Array.from([9, 8]));
  await flushMicrotasks();
  t.same([...Buffer.concat(got)].slice(2), [8, 9]);
  await link.close();
});

t.test('silence drops replies; garbage arrives as device bytes', async (t) => {
  const emulator = new ReversingEmulator();
  const { link, port } = createSimSerialLink({ emulator });
  const got: Buffer[] = [];
  link.events.on('data', t, (b) => got.push(b));
  await link.open();
  port.setSilent(true);
  await link.write(Uint8Array.from([1, 2]));
  await flushMicrotasks();
  t.equal(got.length, 0);
  port.injectGarbage(Uint8Array.from([0xaa, 0x55]));
  await flushMicrotasks();
  t.same([...Buffer.concat(got)], [0xaa, 0x55]);
  await link.close();
  await link.close();
});

t.test('LineAssembler splits on CR/LF, keeps UTF-8 whole and drops overlong lines', async (t) => {
  const a = new LineAssembler(8);
  const bytes = Buffer.from('Nguyễn\r\nAB\n', 'utf8');
  const lines = [...bytes].flatMap((b) => a.push(Uint8Array.from([b])));
  t.same(lines.map((l) => l.toString('utf8')), ['Nguyễn', 'AB']);
  t.same(a.push(Buffer.from('0123456789abcdef\nok\n')).map(String), ['ok']);
  t.equal(a.pending, 0);
});

t.test('a close racing an open leaves the port closed', async (t) => {
  const { link } = createSimSerialLink({ emulator: new ReversingEmulator() });
  const opening = link.open();
  await link.close();
  await opening;
  t.equal(link.isOpen, false);
});
