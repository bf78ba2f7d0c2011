/**
 * A code central does not know (a customer code, dossier code or BHXH number typed wrong) over the
 * real central link and the central simulator: central answers `{ok:false, error:{code:'NOT_FOUND'}}`,
 * runtime/link/rpc.ts keeps that code, and the flow shows its own "not found" screen rather than "central
 * unreachable"; analytics count no central failure. Time is the manual clock; only socket I/O is real.
 */
import t from 'tap';
import { centralStation } from '../fakes/central-station.js';
import type { CentralStation } from '../fakes/central-station.js';

/** OK on the "not found" screen and on the end screen after it, back to the home menu. */
async function endVisit(s: CentralStation): Promise<void> {
  for (let i = 0; i < 3 && s.screen().kind !== 'home'; i++) await s.press('ok');
  await s.until(() => s.screen().kind === 'home', 'home menu', 1000);
}

t.test('an unknown code gives each flow its own "not found" screen, not "central unreachable"', async (t) => {
  const s = await centralStation(t);

  // Bill payment, water: a customer code SAWACO does not know.
  await s.press('5', '2');
  await s.type('13099999999');
  await s.press('ok');
  await s.until(() => s.screen().stepId !== 'lookup', 'bill looked up', 0);
  t.equal(s.screen().stepId, 'no-bill', 'bill payment: its own screen');
  t.match(s.text(), /13099999999/);
  t.notMatch(s.text(), /không kết nối|unreachable/i);
  await endVisit(s);

  // Bill payment, electricity (the PE code path).
  await s.press('5', '1');
  await s.type('09999999999');
  await s.press('ok');
  await s.until(() => s.screen().stepId !== 'lookup-evn', 'EVN bill looked up', 0);
  t.equal(s.screen().stepId, 'no-bill-evn');
  await endVisit(s);

  // Dossier lookup: 000.00.00.H29-260106-9999 typed as its 19 digits.
  await s.press('3');
  await s.type('0000000292601069999');
  await s.press('ok');
  await s.until(() => s.screen().stepId !== 'lookup', 'dossier looked up', 0);
  t.equal(s.screen().stepId, 'not-found', 'dossier lookup: its own screen');
  t.match(s.text(), /Không tìm thấy hồ sơ/);
  t.match(s.text(), /000\.00\.00\.H29-260106-9999/);
  await endVisit(s);

  // BHXH lookup by a 10-digit code nobody has.
  await s.press('8', '1');
  await s.until(() => s.screen().stepId === 'by', 'consent recorded', 0);
  await s.press('2');
  await s.type('7999999999');
  await s.press('ok');
  await s.until(() => s.screen().stepId !== 'lookup-code', 'BHXH looked up', 0);
  t.equal(s.screen().stepId, 'not-found', 'BHXH lookup: its own screen');
  t.match(s.text(), /Không tìm thấy quá trình đóng/);
  await endVisit(s);

  t.same(s.analytics.map((e) => [e.service, e.outcome]), [
    ['bill-payment', 'abandoned'], ['bill-payment', 'abandoned'], ['dossier-lookup', 'abandoned'], ['bhxh-lookup', 'abandoned'],
  ], 'the resident read "not found" and left: not a failure');
  t.same(s.analytics.filter((e) => e.failureCause !== undefined || e.failureCode !== undefined), [], 'no central failure counted');
  t.same(s.analytics.map((e) => e.steps.find((v) => v.kind === 'lookup')?.outcome), ['empty', 'empty', 'empty', 'empty']);
});

t.test('central being down is still "central unreachable"', async (t) => {
  const s = await centralStation(t);
  await s.sim.stop();
  await s.press('3');
  await s.type('0000000292601069999');
  await s.press('ok');
  await s.until(() => s.screen().stepId !== 'lookup', 'lookup gave up', 1000);
  t.equal(s.screen().stepId, 'central-down');
  await s.press('ok');
  await s.until(() => s.analytics.length > 0, 'visit counted', 1000);
  t.match(s.analytics, [{ service: 'dossier-lookup', outcome: 'failed', failureCause: 'central', failureCode: 'RPC_TIMEOUT' }]);
});
