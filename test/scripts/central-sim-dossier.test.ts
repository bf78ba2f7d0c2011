/**
 * Dossier submission against the central simulator over the embedded broker: the real flow bundle,
 * central link (journal, outbox, RPC), the simulator's one-stop desk, SANE's scanimage with its test
 * backend, the sealed paper vault. A resident on the keypad files a temporary residence (two papers,
 * fee by VietQR) and looks it up by the printed code.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { centralStation } from '../fakes/central-station.js';
import { DocumentScanner } from '../../drivers/document-scanner.js';
import { SpawnScanProcess } from '../../drivers/transports/sane-process.js';
import { PaperDesk } from '../../runtime/services/paper-desk.js';
import { PaperVault } from '../../runtime/services/paper-vault.js';
import { CryptoBox } from '../../runtime/link/crypto-box.js';

let haveScanimage = true;
try {
  execFileSync('scanimage', ['--version'], { stdio: 'ignore' });
} catch {
  haveScanimage = false;
}

t.test('temporary residence filed through the link: papers scanned by SANE, fee paid, code issued, looked up', { skip: haveScanimage ? false : 'scanimage (sane-utils) is not installed' }, async (t) => {
  const vaultDir = await mkdtemp(join(tmpdir(), 'dossier-vault-'));
  const s = await centralStation(t, {
    paymentDelayMs: 1000,
    papers: (link) => new PaperDesk({
      scanner: new DocumentScanner(new SpawnScanProcess(), { device: 'test', dpi: 75, extraArgs: ['--test-picture', 'Grid'] }),
      vault: new PaperVault(vaultDir, new CryptoBox(randomBytes(32))), rpc: link,
    }),
  });
  const on = (stepId: string) => s.until(() => s.screen().stepId === stepId && s.screen().kind !== 'lookup', `${stepId} shown`);
  await s.press('home', '4', '1', '1', '1');
  await on('identity');
  await s.type('079085001234');
  await s.press('ok');
  await on('form');
  for (const k of ['1', 'ok']) await s.press(k);
  await s.type('15061985');
  await s.press('ok', 'ok', 'ok');
  await s.type('0912345678');
  await s.press('ok', 'ok', 'ok', '2');
  await s.type('079158001234');
  await s.press('ok', '1');
  await s.type('12');
  await s.press('ok');
  await s.type('6');
  await s.press('ok');
  t.equal(s.screen().kind, 'confirm', 'review reached');
  await s.press('ok');
  await on('papers-scan');
  await s.press('ok');
  await s.until(() => s.screen().preview !== undefined, 'page scanned by scanimage');
  await s.press('1');
  await s.until(() => s.screen().kind === 'pay' || /Ý kiến/.test(s.text()), 'first paper joined');
  t.equal(s.screen().kind, 'pay', 'a spouse needs no owner consent: straight to the fee');
  await s.until(() => s.screen().stepId !== 'fee', 'payment confirmed by the simulated bank', 100);
  await s.until(() => s.screen().stepId === 'receipt-screen', 'journaled and filed');
  const code = /Mã hồ sơ: (\S+)/.exec(s.text())?.[1] ?? '';
  t.match(code, /^000\.00\.00\.H29-261125-\d{4}$/, `central issued ${code}`);
  const intake = s.sim.requests.find((r) => r.service === 'dossier-intake')?.params;
  t.same(intake?.['papers'], ['lodging-proof']);
  t.ok(s.sim.requests.filter((r) => r.service === 'dossier-attachment').length >= 2, 'status then chunks');
  t.same(await readdir(vaultDir), [], 'papers released once central confirmed them');
  await s.press('ok');
  await s.until(() => s.printed.length > 0, 'receipt printed');
  t.ok(s.printed.at(-1)!.some((l) => l.qr === code), 'QR of the code on the receipt');
  await s.press('home', '3');
  s.session.input({ type: 'scan', text: code });
  await s.until(() => s.screen().stepId === 'status', 'lookup answered');
  t.match(s.text(), /Đã tiếp nhận/);
  t.ok(s.sim.events.some((e) => e.event.kind === 'dossier'), 'the journaled dossier reached central as an event too');
});
