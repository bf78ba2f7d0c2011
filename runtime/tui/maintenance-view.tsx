/**
 * Maintenance mode: while on, the resident screen says the station is temporarily out of service and
 * central sees `maintenance` on the station's status topic. Turning it on asks for a reason.
 */
import { useState } from 'react';
import { Box, Text } from 'ink';
import type { StatusReport } from '../control/methods.js';
import { LineInput } from './line-input.js';
import { useKeys } from './keys.js';
import type { ViewContext } from './station-client.js';

export function MaintenanceView({ ctx, status, active, refresh }: { ctx: ViewContext; status: StatusReport | undefined; active: boolean; refresh(): void }) {
  const [step, setStep] = useState<'idle' | 'reason' | 'confirm-off'>('idle');
  const on = status?.maintenance.on ?? false;

  async function set(next: boolean, reason?: string): Promise<void> {
    const res = await ctx.client.call('maintenance.set', { on: next, ...(reason ? { reason } : {}), operator: ctx.operator } as { on: boolean; reason?: string });
    if (res.ok) ctx.notify('ok', res.data.on ? 'maintenance ON: residents see "out of service"; central is told' : 'maintenance OFF: the station is back in service');
    else ctx.notify('error', `maintenance: ${res.error.code}: ${res.error.message}`);
    refresh();
  }

  useKeys(
    ctx,
    (input) => {
      if (input !== 'm') return;
      if (on) setStep('confirm-off');
      else {
        setStep('reason');
        ctx.setCapture(true);
      }
    },
    active && step === 'idle',
  );
  useKeys(
    ctx,
    (input, key) => {
      if (input === 'y') void set(false);
      if (input === 'y' || input === 'n' || key.escape) setStep('idle');
    },
    active && step === 'confirm-off',
  );

  return (
    <Box flexDirection="column">
      <Text>
        {'The station is '}
        <Text bold inverse={on}>{status ? (on ? 'IN MAINTENANCE' : 'IN SERVICE') : 'unknown'}</Text>
        {on && status?.maintenance.reason ? `  (reason: ${status.maintenance.reason})` : ''}
      </Text>
      <Text> </Text>
      <Text>While maintenance is on:</Text>
      <Text>  - residents see "Trạm tạm ngưng phục vụ / Temporarily out of service";</Text>
      <Text>  - no new resident session starts; records already taken still go to central;</Text>
      <Text>  - central sees "maintenance" on the station's status topic;</Text>
      <Text>  - device tests and calibration can run without a resident in the way.</Text>
      <Text> </Text>
      <Text>{on ? 'Press m to put the station back IN SERVICE.' : 'Press m to turn maintenance ON (you will be asked for a reason).'}</Text>
      {step === 'reason' ? (
        <LineInput
          ctx={ctx}
          label="Reason (shown to central): "
          maxLength={120}
          onSubmit={(reason) => {
            setStep('idle');
            ctx.setCapture(false);
            void set(true, reason.trim() || undefined);
          }}
          onCancel={() => {
            setStep('idle');
            ctx.setCapture(false);
          }}
        />
      ) : null}
      {step === 'confirm-off' ? <Text bold>Back in service now? y / n</Text> : null}
    </Box>
  );
}
