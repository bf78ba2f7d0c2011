import t from 'tap';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { DashboardView } from '../../../runtime/tui/dashboard-view.js';
import type { StatusReport } from '../../../runtime/control/methods.js';
import { fitsTerminal, plainFrame } from '../../fakes/tui-app.js';

const status: StatusReport = {
  stationId: 'hcm-bt-dkc-01', version: '0.1.0', pid: 1, startedAt: '2025-01-01T00:00:00.000Z', uptimeS: 40,
  components: [], link: { state: 'connected', url: 'mqtts://central:8883' },
  outbox: { depth: 0, oldestAgeS: null, flagged: 0, telemetryDropped: 0 }, eventLoopLagMs: 1,
  maintenance: { on: false }, healthy: true, alerts: [],
};

t.test('an untrusted clock heads the alerts with its reason; a trusted one shows nothing', async (t) => {
  const untrusted = render(createElement(DashboardView, {
    status: { ...status, time: { trusted: false, reason: 'the clock says 2025-01-01T00:00:40.000Z, before this release was built; waiting for time sync', notBefore: '2026-11-20T08:00:00.000Z', synchronized: false } },
    devices: [], rows: 20,
  }));
  const frame = plainFrame(untrusted);
  t.match(frame, /Alerts \(1\)/);
  t.match(frame, /!! CLOCK NOT TRUSTED: the clock says 2025-01-01/);
  fitsTerminal(t, frame);
  untrusted.unmount();
  const trusted = render(createElement(DashboardView, { status: { ...status, time: { trusted: true, notBefore: '2026-11-20T08:00:00.000Z', synchronized: true } }, devices: [], rows: 20 }));
  t.match(plainFrame(trusted), /Alerts \(0\)\n\s+none/);
  trusted.unmount();
});
