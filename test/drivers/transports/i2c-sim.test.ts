import t from 'tap';
import { SimI2cBus } from '../../../drivers/transports/i2c-sim.js';
import type { SimI2cDevice } from '../../../drivers/transports/i2c-sim.js';
import { i2cError, isI2cError, isNoAcknowledge } from '../../../drivers/transports/i2c.js';

/** A 256-byte register file with auto-increment, recording writes. */
class RegisterFile implements SimI2cDevice {
  regs = new Uint8Array(256).map((_, i) => i ^ 0x5a);
  writes: Array<[number, number[]]> = [];
  read(register: number, length: number): Uint8Array {
    return Uint8Array.from({ length }, (_, i) => this.regs[(register + i) & 0xff]!);
  }
  write(register: number, bytes: Uint8Array): void {
    this.writes.push([register, [...bytes]]);
    bytes.forEach((b, i) => (this.regs[(register + i) & 0xff] = b));
  }
}

t.test('errors look like i2c-bus errno errors', async (t) => {
  const e = i2cError('EREMOTEIO', 'readByte');
  t.equal(e.message, 'EREMOTEIO, remote i/o error');
  t.match(e, { code: 'EREMOTEIO', errno: 121, syscall: 'readByte' });
  t.ok(isI2cError(e));
  t.ok(isNoAcknowledge(e));
  t.notOk(isNoAcknowledge(i2cError('EIO', 'readByte')));
  t.notOk(isI2cError(new Error('plain')));
});

t.test('SMBus byte, word and block transfers reach the device register map', async (t) => {
  const bus = new SimI2cBus();
  const dev = new RegisterFile();
  bus.attach(0x40, dev);
  dev.regs[0x10] = 0x34;
  dev.regs[0x11] = 0x12;
  t.equal(await bus.readByte(0x40, 0x10), 0x34);
  t.equal(await bus.readWord(0x40, 0x10), 0x1234, 'SMBus word: low byte first');
  await bus.writeByte(0x40, 0x20, 0x1ab);
  t.equal(dev.regs[0x20], 0xab, 'byte masked to 8 bits');
  const buf = Buffer.alloc(4);
  t.same(await bus.readI2cBlock(0x40, 0x10, 3, buf), { bytesRead: 3, buffer: buf });
  t.same([...buf], [0x34, 0x12, 0x12 ^ 0x5a, 0]);
  await bus.writeI2cBlock(0x40, 0x30, 2, Buffer.from([1, 2, 3]));
  t.same(dev.writes.at(-1), [0x30, [1, 2]]);
  await t.rejects(bus.readI2cBlock(0x40, 0, 33, Buffer.alloc(40)), /Invalid buffer length 33/);
  await t.rejects(bus.readI2cBlock(0x40, 0, 8, Buffer.alloc(4)), /at least 8 bytes/);
});

t.test('plain i2cWrite sets the register pointer that i2cRead reads from', async (t) => {
  const bus = new SimI2cBus();
  const dev = new RegisterFile();
  bus.attach(0x40, dev);
  await bus.i2cWrite(0x40, 1, Buffer.from([0x10]));
  const buf = Buffer.alloc(2);
  await bus.i2cRead(0x40, 2, buf);
  t.same([...buf], [0x10 ^ 0x5a, 0x11 ^ 0x5a]);
  await bus.i2cWrite(0x40, 3, Buffer.from([0x50, 7, 8]));
  t.same(dev.writes.at(-1), [0x50, [7, 8]]);
});

t.test('a missing device NACKs with EREMOTEIO; detach and re-attach', async (t) => {
  const bus = new SimI2cBus();
  await t.rejects(bus.readByte(0x57, 0xff), { code: 'EREMOTEIO', errno: 121, syscall: 'readByte' });
  const dev = new RegisterFile();
  bus.attach(0x57, dev);
  t.equal(await bus.readByte(0x57, 0x00), 0x5a);
  bus.detach(0x57);
  await t.rejects(bus.writeByte(0x57, 0, 0), { code: 'EREMOTEIO' });
  t.equal(bus.stats.nacks, 2);
});

t.test('fault injection: seeded rate, chosen errno, no side effect on failure', async (t) => {
  const run = async (seed: number) => {
    const bus = new SimI2cBus({ seed });
    const dev = new RegisterFile();
    bus.attach(0x40, dev);
    bus.setFaults(0x40, { errorRate: 0.1, errorCode: 'EIO' });
    const outcomes: string[] = [];
    let wrongShape = 0;
    for (let i = 0; i < 2000; i++) {
      try {
        await bus.writeByte(0x40, 0x80, i & 0xff);
        outcomes.push('ok');
      } catch (err) {
        if ((err as { code?: string; errno?: number }).code !== 'EIO' || (err as { errno?: number }).errno !== 5) wrongShape++;
        outcomes.push('EIO');
      }
    }
    return { outcomes, writes: dev.writes.length, stats: bus.stats, wrongShape };
  };
  const a = await run(42);
  const failures = a.outcomes.filter((o) => o === 'EIO').length;
  t.ok(failures > 150 && failures < 250, `about 10% failed (${failures}/2000)`);
  t.equal(a.writes, 2000 - failures, 'a failed transfer never reached the device');
  t.equal(a.stats.injectedErrors, failures);
  t.equal(a.wrongShape, 0, 'every failure is EIO, errno 5');
  t.same((await run(42)).outcomes, a.outcomes, 'same seed, same faults');
  t.notSame((await run(43)).outcomes, a.outcomes);
});

t.test('bus-wide faults, stuck data line, clearing faults, closed bus', async (t) => {
  const bus = new SimI2cBus();
  bus.attach(0x40, new RegisterFile());
  bus.attach(0x41, new RegisterFile());
  bus.setFaults('*', { errorRate: 1 });
  await t.rejects(bus.readByte(0x40, 0), { code: 'EREMOTEIO' });
  await t.rejects(bus.readByte(0x41, 0), { code: 'EREMOTEIO' });
  bus.setFaults(0x41, {});
  t.equal(await bus.readByte(0x41, 0), 0x5a, 'a per-address setting overrides the bus-wide one');
  bus.setFaults('*', undefined);
  bus.setFaults(0x40, { stuckByte: 0xff });
  t.equal(await bus.readWord(0x40, 0), 0xffff);
  bus.setFaults(0x40, undefined);
  t.equal(await bus.readByte(0x40, 0), 0x5a);
  await bus.close();
  await t.rejects(bus.readByte(0x40, 0), { code: 'EIO' });
});
