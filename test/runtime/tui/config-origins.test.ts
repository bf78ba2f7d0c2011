import t from 'tap';
import { fitsTerminal, renderTui } from '../../fakes/tui-app.js';
import { DiagnosticShell } from '../../../runtime/tui/diagnostic-shell.js';
import { startFakeDaemon } from '../../fakes/technician-daemon.js';

t.test('o lists each value with the layer that set it, and back to the JSON', async (t) => {
  const daemon = await startFakeDaemon();
  const ui = await renderTui(t, { client: await daemon.client(), clock: daemon.clock, shell: new DiagnosticShell({ spawn: () => { throw new Error('no tool'); } }), initialView: 'config', close: () => daemon.close() });
  await ui.until(/File: \/etc\/citizen-station\/station\.json/);
  await ui.press('o');
  const f = await ui.until(/Layer {6}value/);
  fitsTerminal(t, f);
  t.match(f, /factory {4}\/station\/id = "/);
  t.match(f, /desired {4}\/telemetry\/intervalS = 60/);
  t.match(f, /technician \/logging\/level = /);
  t.match(f, /default {4}\/journal\/maxBytes = /);
  t.match(f, /o origins/, 'the key is named in the key line');
  await ui.press('o');
  t.match(await ui.until(/"intervalS": 60/), /File: \/etc\/citizen-station\/station\.json/);
});
