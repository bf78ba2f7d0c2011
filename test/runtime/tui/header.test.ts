import t from 'tap';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { App } from '../../../runtime/tui/app.js';
import { DiagnosticShell } from '../../../runtime/tui/diagnostic-shell.js';
import { startFakeDaemon } from '../../fakes/technician-daemon.js';
import { fitsTerminal, plainFrame, settle } from '../../fakes/tui-app.js';

t.test("the header keeps the technician's whole name and one clock with its zone", async (t) => {
  const daemon = await startFakeDaemon();
  t.teardown(() => daemon.close());
  const operator = 'nguyen-thi-thanh-huong.kythuat';
  const ui = render(createElement(App, { client: await daemon.client(), clock: daemon.clock, operator, shell: new DiagnosticShell({ spawn: () => { throw new Error('no tool'); } }) }));
  t.teardown(() => ui.unmount());
  let frame = '';
  for (let i = 0; i < 200 && !/IN SERVICE/.test(frame); i++) {
    await settle();
    frame = plainFrame(ui);
  }
  const header = frame.split('\n')[0]!;
  t.match(header, new RegExp(`tech ${operator.replace('.', '\\.')}  \\d\\d:\\d\\d:\\d\\d \\+07$`), header);
  t.ok(header.includes(` tech ${operator} `), 'the name is whole; the station part gave way');
  fitsTerminal(t, frame);
});
