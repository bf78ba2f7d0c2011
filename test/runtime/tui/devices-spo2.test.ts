import t from 'tap';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { DevicesView } from '../../../runtime/tui/devices-view.js';
import type { ViewContext } from '../../../runtime/tui/station-client.js';
import type { DeviceReading } from '../../../runtime/control/methods.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { plainFrame, settle } from '../../fakes/tui-app.js';
import { PulseOximeter, max30102Address } from '../../../drivers/max30102.js';
import { SimMax30102 } from '../../../drivers/simulators/max30102.js';
import { SimI2cBus } from '../../../drivers/transports/i2c-sim.js';
import pino from 'pino';


/**
 * The devices view fed straight from the simulated MAX30102 driver's watchReadings (the daemon's
 * merging aside): what the technician sees while a finger rests on the sensor.
 */
t.test('the devices view shows the simulated sensor: finger, PPG sparkline and the labelled estimate', async (t) => {
  const clock = new ManualClock();
  const bus = new SimI2cBus({ seed: 3 });
  const sensor = new SimMax30102(clock, { finger: null });
  bus.attach(max30102Address, sensor);
  const oximeter = new PulseOximeter(bus, clock, pino({ level: 'silent' }));

  const listeners = new Set<(event: string, data: unknown) => void>();
  let stop: (() => void) | undefined;
  const client = {
    onEvent(l: (event: string, data: unknown) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async call(method: string, params: { device: string }) {
      if (method === 'devices.reading.subscribe' && params.device === 'spo2') {
        stop = oximeter.watchReadings((r) => {
          const reading: DeviceReading = { device: 'spo2', at: clock.now(), ...r };
          for (const l of listeners) l('device.reading', reading);
        });
      }
      if (method === 'devices.reading.unsubscribe') stop?.();
      return { ok: true, data: { subscribed: true } };
    },
  };
  const ctx = {
    client, clock, connection: 1, operator: 'tech', notify() {}, setCapture() {}, capturing: () => false, keepTypedAhead() {}, takeTypedAhead: () => [],
  } as unknown as ViewContext;
  const ui = render(createElement(DevicesView, { ctx, devices: [{ name: 'spo2', mode: 'sim', health: 'ok', since: 0 }], active: true }));
  t.teardown(() => ui.unmount());
  const frame = () => plainFrame(ui);

  await clock.advance(500);
  await settle();
  t.match(frame(), /Finger: OFF/);
  t.notMatch(frame(), /PPG|Estimate/);

  sensor.placeFinger({ heartRate: 66, spo2: 95, perfusionIndex: 2, noise: 5, seed: 4 });
  await clock.advance(5000);
  await settle();
  t.match(frame(), /Finger: ON/);
  t.match(frame(), /PPG \(IR, newest right\):\n.*[▁▂▃▄▅▆▇█]{50}/, 'a full-width sparkline');
  const spark = /PPG \(IR, newest right\):\n\s*([▁▂▃▄▅▆▇█]+)/.exec(frame())![1]!;
  t.ok(new Set(spark).size >= 5, `the pulse fills the height (${spark})`);
  t.notMatch(frame(), /Estimate/, 'no estimate before a window is accepted');

  await clock.advance(9000);
  await settle();
  const estimate = /Estimate: HR (\d+) bpm {2}SpO2 (\d+) %\n\s*\(reference value, not a diagnosis\)/.exec(frame());
  t.ok(estimate, 'labelled estimate shown');
  if (estimate) {
    t.ok(Math.abs(Number(estimate[1]) - 66) <= 3, `HR ${estimate[1]}`);
    t.ok(Math.abs(Number(estimate[2]) - 95) <= 2, `SpO2 ${estimate[2]}`);
  }

  sensor.removeFinger();
  await clock.advance(300);
  await settle();
  t.match(frame(), /Finger: OFF/);
  t.notMatch(frame(), /PPG|Estimate/, 'trace and estimate cleared with the finger');

  ui.unmount();
  await settle();
  await clock.advance(0);
  t.equal(clock.timerCount, 0, 'leaving the view stops the sensor polling');
});
