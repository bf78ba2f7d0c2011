import t from 'tap';
import pino from 'pino';
import { decodeStatus, encodeCp1258, encodeQr, encodeReceipt, escpos, foldToAscii, isStatusByte } from '../../drivers/escpos.js';
import { EscPosPrinterEmulator, EscPosReceiptPrinter } from '../../drivers/receipt-printer.js';
import { createSimSerialLink } from '../../drivers/transports/serial-sim.js';
import { ManualClock } from '../fakes/manual-clock.js';

const log = pino({ level: 'silent' });
const hex = (b: ArrayLike<number>) => Buffer.from(Array.from(b)).toString('hex');

t.test('command bytes', async (t) => {
  t.equal(hex(escpos.init()), '1b40');
  t.equal(hex(escpos.bold(true)), '1b4501');
  t.equal(hex(escpos.size(2, 2)), '1d2111');
  t.equal(hex(escpos.align('center')), '1b6101');
  t.equal(hex(escpos.codeTable(52)), '1b7434');
  t.equal(hex(escpos.cut()), '1d564203');
  t.equal(hex(escpos.status(4)), '100404');
});

t.test('QR via GS ( k: model 2, size, ECC, store with pL pH = len+3, print', async (t) => {
  const q = hex(encodeQr('ABC', { moduleSize: 5, errorCorrection: 'Q' }));
  t.equal(q, '1d286b0400314132001d286b03003143051d286b03003145321d286b0600315030414243' + '1d286b0300315130');
});

t.test('Vietnamese: folded to ASCII, or CP1258 with combining tone bytes', async (t) => {
  t.equal(foldToAscii('Nguyễn Văn Đức, phường Bình Trưng'), 'Nguyen Van Duc, phuong Binh Trung');
  // ê (0xEA) + combining tilde (0xDE); ă (0xE3); Đ (0xD0); ư (0xFD) + acute (0xEC); á precomposed (0xE1).
  t.equal(hex(encodeCp1258('ễ')), 'eade');
  t.equal(hex(encodeCp1258('Đức')), 'd0fdec63');
  t.equal(hex(encodeCp1258('á')), 'e1');
  t.equal(hex(encodeCp1258('ạ')), '61f2');
  t.equal(hex(encodeCp1258('A1')), '4131');
  t.equal(new TextDecoder('windows-1258').decode(Uint8Array.from(encodeCp1258('Trạm công dân số'))).normalize('NFC'), 'Trạm công dân số');
  t.equal(hex(encodeCp1258('€')), '80', 'euro exists in 1258');
  t.equal(hex(encodeCp1258('中')), '3f', 'unknown characters become ?');
});

t.test('a receipt with code page selects ESC t; without, text is ASCII', async (t) => {
  const lines = [{ text: 'Kết quả', bold: true, size: 2 as const, align: 'center' as const }, { qr: 'x' }];
  const withCp = Buffer.from(encodeReceipt(lines, { cp1258Table: 52 }));
  t.ok(withCp.includes(Buffer.from([0x1b, 0x74, 52])));
  const ascii = Buffer.from(encodeReceipt(lines, { cp1258Table: null }));
  t.notOk(ascii.includes(Buffer.from([0x1b, 0x74])));
  t.ok(ascii.includes(Buffer.from('Ket qua')));
  t.ok(ascii.includes(Buffer.from([0x1d, 0x56, 66])), 'ends with a cut');
});

t.test('status bytes', async (t) => {
  t.ok(isStatusByte(0x12));
  t.ok(isStatusByte(0x72));
  t.notOk(isStatusByte(0x41));
  t.same(decodeStatus(0x1a, 0x72), { offline: true, paperOut: true, paperNearEnd: false });
  t.same(decodeStatus(0x12, 0x1e), { offline: false, paperOut: false, paperNearEnd: true });
});

function rig() {
  const clock = new ManualClock();
  const emulator = new EscPosPrinterEmulator();
  const { link, port } = createSimSerialLink({ emulator });
  const printer = new EscPosReceiptPrinter(link, clock, log, { cp1258Table: null });
  return { clock, emulator, port, printer };
}

t.test('prints, refuses when out of paper, reports health', async (t) => {
  const { emulator, printer } = rig();
  const health: string[] = [];
  printer.onHealthChange((r) => health.push(`${r.health}${r.reason ? `:${r.reason}` : ''}`));
  t.same(await printer.probe(), { offline: false, paperOut: false, paperNearEnd: false });
  await printer.print([{ text: 'Cảm ơn' }]);
  t.ok(Buffer.from(emulator.received).includes(Buffer.from('Cam on\n')));
  emulator.paperOut = true;
  const before = emulator.received.length;
  await t.rejects(printer.print([{ text: 'x' }]), { code: 'PRINTER_PAPER_OUT' });
  t.equal(emulator.received.length - before, 6, 'only the two status queries were sent');
  emulator.paperOut = false;
  emulator.offline = true;
  await t.rejects(printer.print([{ text: 'x' }]), { code: 'DEVICE_MISSING' });
  emulator.offline = false;
  await printer.print([{ text: 'y' }]);
  t.same(health, ['ok', 'ok', 'ok', 'degraded:paper out', 'degraded:printer off line (cover open or error)', 'ok', 'ok']);
  await printer.close();
});

t.test('silent or unplugged printer: timeout / missing, then recovery', async (t) => {
  const { clock, port, printer } = rig();
  await printer.probe();
  port.setSilent(true);
  const p = printer.print([{ text: 'x' }]);
  p.catch(() => undefined);
  await clock.advance(1000);
  await t.rejects(p, { code: 'DEVICE_TIMEOUT' });
  port.setSilent(false);
  port.unplug();
  await t.rejects(printer.print([{ text: 'x' }]), { code: 'DEVICE_MISSING' });
  port.replug();
  await printer.probe();
  await printer.print([{ text: 'ok' }]);
  await printer.close();
});
