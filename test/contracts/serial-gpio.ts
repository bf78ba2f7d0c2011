import type { Test } from 'tap';
import type { GpioController } from '../../drivers/transports/gpio.js';
import type { SerialLink } from '../../drivers/transports/serial.js';

export interface SerialLoopbackRig {
  /** A link whose TX is wired to its RX (a jumper on the board, an echoing emulator in simulation). */
  link: SerialLink;
  /** Lets bytes travel: real time on the board, a microtask flush in simulation. */
  settle(): Promise<void>;
}

/**
 * What the serial drivers rely on from a {@link SerialLink}: idempotent open and close, bytes out
 * and back unchanged and in order however they are chunked, writes refused once closed, a close
 * event on close. Run against the simulator always and against a real port with a TX–RX jumper
 * when the test environment names one.
 */
export function serialLinkContract(t: Test, makeRig: () => Promise<SerialLoopbackRig>): void {
  t.test('open and close are idempotent; write after close is refused', async (t) => {
    const { link } = await makeRig();
    await link.open();
    await link.open();
    t.equal(link.isOpen, true);
    await link.close();
    await link.close();
    t.equal(link.isOpen, false);
    await t.rejects(link.write(Uint8Array.of(1)), { code: 'DEVICE_MISSING' });
  });

  t.test('bytes come back unchanged and in order', async (t) => {
    const { link, settle } = await makeRig();
    const got: Buffer[] = [];
    link.events.on('data', t, (b) => got.push(b));
    await link.open();
    const sent = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff);
    for (let i = 0; i < sent.length; i += 50) await link.write(sent.subarray(i, i + 50));
    await settle();
    t.same([...Buffer.concat(got)], [...sent]);
    const closes: unknown[] = [];
    link.events.on('close', t, (c) => closes.push(c));
    await link.close();
    t.same(closes, [{ disconnected: false }]);
  });
}

export interface GpioLoopbackRig {
  gpio: GpioController;
  /** An output line wired to `input` (a jumper on the board, joined lines in simulation). */
  output: number;
  input: number;
  settle(): Promise<void>;
}

/** What the keypad and indicators rely on from GPIO: levels written are read back, edges are reported. */
export function gpioContract(t: Test, makeRig: () => Promise<GpioLoopbackRig>): void {
  t.test('a written level is read back and its edges are reported', async (t) => {
    const { gpio, output, input, settle } = await makeRig();
    const out = gpio.open(output, 'out');
    const inp = gpio.open(input, 'in', 'both');
    const edges: number[] = [];
    const stop = inp.watch((v) => edges.push(v));
    out.write(0);
    await settle();
    t.equal(inp.read(), 0);
    out.write(1);
    await settle();
    t.equal(inp.read(), 1);
    t.same(edges, [0, 1]);
    stop();
    out.unexport();
    inp.unexport();
  });
}
