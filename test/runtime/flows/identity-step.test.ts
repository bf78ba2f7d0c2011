import t from 'tap';
import { flowRig, testBundle } from '../../fakes/flow-kit.js';
import type { Key } from '../../../runtime/kernel/input.js';

const who = `
id: who
version: 1
title: { vi: "Danh tính", en: "Identity" }
menu: { key: "6" }
start: id
steps:
  id:
    kind: identity
    title: identity.title
    optional: true
    next: show
    on: { error: bad, skip: bye }
  show:
    kind: result
    title: { vi: "Xin chào", en: "Hello" }
    body: [{ vi: "{{identity.masked}} {{identity.name}}", en: "{{identity.masked}} {{identity.name}}" }]
    next: bye
  bad:
    kind: end
    outcome: failed
    title: { vi: "Không xác nhận được", en: "Not confirmed" }
  bye:
    kind: end
    title: { vi: "Xong", en: "Done" }
`;

const qr = '079158001234|025123456|Nguyễn Thị Lan|12031958|Nữ|12 Nguyễn Cơ Thạch|20062021';

t.test('a scanned CCCD is checked, held in the session and shown masked', async (t) => {
  const rig = await flowRig({ bundle: await testBundle([{ name: 'who.yaml', text: who }]) });
  await rig.press('6');
  t.equal(rig.session.current().kind, 'identity');
  rig.session.input({ type: 'scan', text: qr.replace('|Nữ|', '|Nam|') });
  await rig.wait(0);
  t.equal(rig.session.current().stepId, 'id', 'a QR whose sex does not match the number is refused');
  t.ok(rig.session.current().body?.includes('Không đọc được mã QR. Vui lòng quét lại hoặc gõ 12 số CCCD.'));
  rig.session.input({ type: 'scan', text: qr });
  await rig.wait(0);
  t.same(rig.session.current().body, ['079•••••••34 Nguyễn Thị Lan']);
  t.notOk(JSON.stringify(rig.session.current()).includes('079158001234'));
  t.match(rig.session.state().data.identity, { id: '079158001234', name: 'Nguyễn Thị Lan', birthDate: '1958-03-12', sex: 'female', source: 'qr' });
  t.notOk(JSON.stringify(rig.session.state()).includes('Cơ Thạch'), 'the address is not kept');
  await rig.session.stop();
});

t.test('typed digits: invalid province refused, three refusals give the error branch, OK on empty skips', async (t) => {
  const rig = await flowRig({ bundle: await testBundle([{ name: 'who.yaml', text: who }]) });
  await rig.press('6');
  const type = (digits: string) => rig.press(...([...digits] as Key[]), 'ok');
  const clear = (n: number) => rig.press(...(Array(n).fill('*') as Key[]));
  await type('999158001234');
  t.ok(rig.session.current().body?.includes('3 số đầu 999 không phải mã tỉnh nào. Kiểm tra 3 số đầu trên thẻ, bấm * để xóa.'), 'names the wrong part');
  t.equal(rig.session.current().input?.value, '999••••••••4', 'and keeps the field');
  await clear(12);
  await type('0791');
  t.ok(rig.session.current().body?.includes('Đã nhập 4 số, cần đúng 12 số. Bấm * để xóa từng số.'));
  await clear(4);
  await type('123456789012');
  t.equal(rig.session.current().stepId, 'bad');
  t.match(rig.analytics.events, [{ service: 'who', outcome: 'failed', failureCause: 'input' }]);
  await rig.press('ok', 'home', '6', 'ok');
  t.equal(rig.session.current().stepId, 'bye', 'optional identity skipped with OK on an empty field');
  await rig.press('home', '6');
  await type('079158001234');
  t.same(rig.session.current().body, ['079•••••••34 '], 'typed: number only, no name');
  await rig.session.stop();
});
